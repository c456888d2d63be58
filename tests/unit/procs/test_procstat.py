"""`/proc/<pid>/stat` parsing: names with spaces and parentheses, states, our own line."""

from __future__ import annotations

import os
import sys

import pytest

from devctl.procs import procstat

RAW = (b"4242 (my (odd) name) S 1 4240 4240 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 555 1000 25 "
       b"18446744073709551615\n")


def test_fields_start_after_the_last_parenthesis() -> None:
    fields = procstat.fields(RAW)
    assert fields[procstat.STATE] == b"S"
    assert int(fields[procstat.PPID]) == 1 and int(fields[procstat.PGRP]) == 4240
    assert (int(fields[procstat.UTIME]), int(fields[procstat.STIME])) == (7, 3)
    assert int(fields[procstat.RSS_PAGES]) == 25


def test_comm_keeps_spaces_and_parentheses() -> None:
    assert procstat.comm(RAW) == "my (odd) name"


def test_a_missing_pid_reads_as_none_and_dead() -> None:
    assert procstat.read(2**22 + 1) is None  # above pid_max's default
    assert procstat.live_pgrp(2**22 + 1) is None
    assert procstat.is_dead(2**22 + 1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_our_own_line_gives_our_group() -> None:
    assert procstat.live_pgrp(os.getpid()) == os.getpgid(0)
    assert not procstat.is_dead(os.getpid())


def test_pgrp_reads_any_live_process_and_nothing_for_a_missing_one() -> None:
    if os.path.isdir("/proc/self"):
        assert procstat.pgrp(os.getpid()) == os.getpgid(0)
    assert procstat.pgrp(2**22 + 1) is None


def test_starttime_is_field_22() -> None:
    assert int(procstat.fields(RAW)[procstat.STARTTIME]) == 555


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_create_time_is_psutils_figure_for_us_our_parent_and_pid_1() -> None:
    """The supervisor records it and the CLI compares it with psutil's (±10 ms): they must agree."""
    import psutil

    for pid in (os.getpid(), os.getppid(), 1):
        assert procstat.create_time(pid) == pytest.approx(psutil.Process(pid).create_time(), abs=1e-6)
    assert procstat.create_time(2**22 + 1) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_boot_time_is_the_btime_line() -> None:
    import psutil

    assert procstat.boot_time() == psutil.boot_time()
