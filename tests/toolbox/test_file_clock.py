"""FileClock: several processes on one frozen instant that the test moves by rewriting a file."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dgfip_sandbox.clock import FileClock, SystemClock, clock_from_settings, write_clock_file
from dgfip_sandbox.settings import Settings

START = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)


def test_readers_see_the_instant_the_writer_sets(tmp_path: Path) -> None:
    path = tmp_path / "now"
    write_clock_file(path, START)
    first, second = FileClock(path), FileClock(path)  # two processes' clocks
    assert first.now() == second.now() == START
    assert first.now() == START  # frozen: no wall-clock drift between reads

    write_clock_file(path, START + timedelta(minutes=1))
    assert first.now() == second.now() == START + timedelta(minutes=1)
    assert not (tmp_path / "now.partial").exists()


def test_a_rewrite_in_the_same_timestamp_tick_is_still_seen(tmp_path: Path) -> None:
    # Readers compare (inode, size, modification time). Two rewrites of the same length between two
    # reads may give the file back the inode the reader holds (freed by the first rewrite), and on a
    # file system with coarse timestamps the same modification time. Simulated here: the current
    # file's time is put ahead of the clock of the file system, as if the next write fell in its tick.
    path = tmp_path / "now"
    write_clock_file(path, START)
    ahead = os.stat(path).st_mtime_ns + 10**9
    os.utime(path, ns=(ahead, ahead))
    reader = FileClock(path)
    assert reader.now() == START
    write_clock_file(path, START + timedelta(minutes=1))
    assert os.stat(path).st_mtime_ns > ahead
    assert reader.now() == START + timedelta(minutes=1)


def test_an_offset_instant_is_read_as_utc(tmp_path: Path) -> None:
    path = tmp_path / "now"
    path.write_text("2026-11-25T11:00:00+01:00")
    assert FileClock(path).now() == START
    assert FileClock(path).now().tzinfo == UTC


@pytest.mark.parametrize(
    ("text", "message"), [("demain", "not an ISO 8601 instant"), ("2026-11-25T10:00:00", "needs a time zone")]
)
def test_a_bad_instant_is_refused_with_the_file_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "now"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as caught:
        FileClock(path).now()
    assert str(path) in str(caught.value)


def test_settings_choose_the_file_clock_only_when_set(tmp_path: Path) -> None:
    path = tmp_path / "now"
    write_clock_file(path, START)
    clock = clock_from_settings(Settings(var_dir=tmp_path, clock_file=path, _env_file=None))  # type: ignore[call-arg]  # pydantic-settings' init-only argument
    assert isinstance(clock, FileClock) and clock.now() == START
    assert isinstance(clock_from_settings(Settings(var_dir=tmp_path, _env_file=None)), SystemClock)  # type: ignore[call-arg]  # idem
