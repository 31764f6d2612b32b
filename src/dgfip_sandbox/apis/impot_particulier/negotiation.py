"""Accept negotiation for API Impôt particulier's vendor media types.

Each resource answers with its own DGFIP vendor type (``application/prs.dgfip.part.situations.ir.
assiettes.v1+json`` …). A request may accept it explicitly, through ``*/*`` or ``application/*`` (real
clients send ``Accept: */*``), or ask for plain ``application/json``, which gets the same body under
that type. Anything else is refused with 406 (RFC 9110 §12.5.1: the most specific matching range gives
the quality; q=0 excludes).
"""

from __future__ import annotations

from dgfip_sandbox.errors import NotAcceptable

JSON = "application/json"


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            continue
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        ranges.append((media, quality))
    return ranges


def _quality(ranges: list[tuple[str, float]], media_type: str) -> float:
    main = media_type.split("/")[0]
    best: tuple[int, float] = (-1, 0.0)
    for media, quality in ranges:
        if media == media_type:
            specificity = 2
        elif media == f"{main}/*":
            specificity = 1
        elif media == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best[0]:
            best = (specificity, quality)
    return best[1]


def negotiate(accept: str | None, vendor_type: str) -> str:
    """The Content-Type to answer with, or ``NotAcceptable``."""
    if accept is None or not accept.strip():
        return vendor_type
    ranges = _ranges(accept)
    vendor_q = _quality(ranges, vendor_type)
    json_q = _quality(ranges, JSON)
    if vendor_q > 0 and vendor_q >= json_q:
        return vendor_type
    if json_q > 0:
        return JSON
    raise NotAcceptable(f"Accept « {accept[:200]} » : cette ressource produit {vendor_type} (ou {JSON})")
