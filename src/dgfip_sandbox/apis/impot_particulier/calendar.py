"""The taxation calendar: when an income year becomes available to API Impôt particulier.

DGFIP (functional presentation v2.8, §6.3 and §8): a year is available once it has been taxed, i.e.
once avis d'imposition exist. Income year N-1 is taxed in July of year N: the IR assiette, IR facture
and ISF/IFI resources got revenus 2022 on 17/07/2023 and revenus 2023 on 22/07/2024 (published dates).
Other campaigns are not published in the reference; the sandbox assumes 24 July.

The taxe d'habitation resource (TH principale) follows its own calendar (year N taxed in the autumn of
N; the sandbox uses 1 October) and is no longer fed after 2022.

Dates are Paris calendar dates: a taxation "on 22/07" starts at midnight, Paris time.
"""

from __future__ import annotations

from datetime import date, datetime

from dgfip_sandbox.errors import PARIS

# Year of the taxation campaign (the year the avis is issued) -> first taxation day.
PUBLISHED_IR_TAXATION = {2023: date(2023, 7, 17), 2024: date(2024, 7, 22)}
DEFAULT_IR_TAXATION_DAY = (7, 24)

TH_LAST_YEAR = 2022
TH_TAXATION_DAY = (10, 1)


def paris_today(now: datetime) -> date:
    return now.astimezone(PARIS).date()


def ir_taxation_date(annrev: int) -> date:
    """The day income year ``annrev`` is taxed (its avis are issued in ``annrev + 1``)."""
    campaign = annrev + 1
    return PUBLISHED_IR_TAXATION.get(campaign, date(campaign, *DEFAULT_IR_TAXATION_DAY))


def latest_taxed_annrev(now: datetime) -> int:
    """The last income year taxed on ``now``: N-1 after the July campaign of year N, N-2 before."""
    today = paris_today(now)
    return today.year - 1 if today >= ir_taxation_date(today.year - 1) else today.year - 2


def is_ir_year_taxed(annrev: int, now: datetime) -> bool:
    return annrev <= latest_taxed_annrev(now)


def is_th_year_available(annee: int, now: datetime) -> bool:
    return annee <= TH_LAST_YEAR and paris_today(now) >= date(annee, *TH_TAXATION_DAY)
