"""Stopping helpers on pids and groups that do not exist: nothing raises, nothing is signalled."""

from __future__ import annotations

import signal
import time

from devctl.procs import groups

GONE = 2**22 + 1  # above the default pid_max: never a live process


def test_a_group_that_does_not_exist_is_stopped_at_once() -> None:
    assert groups.group_members(GONE) == []
    assert not groups.group_alive(GONE)
    assert not groups.signal_group(GONE, signal.SIGTERM)
    started = time.monotonic()
    assert groups.stop_group_sync(GONE, grace=5.0)
    assert time.monotonic() - started < 1.0


def test_stopping_gone_pids_neither_raises_nor_waits() -> None:
    groups.signal_pids([GONE], signal.SIGTERM)
    started = time.monotonic()
    groups.stop_pids([GONE], signal.SIGTERM, grace=5.0)
    assert time.monotonic() - started < 1.0
