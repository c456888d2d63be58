"""in_background: the call runs in its own thread while the caller goes on; its result, or its
error, comes back whole in the caller's thread."""

from __future__ import annotations

import threading

import pytest

from devctl.util.background import in_background


def test_the_caller_goes_on_while_the_call_waits_and_gets_its_result():
    release = threading.Event()
    result = in_background(lambda: release.wait(30) and threading.current_thread().name, name="look")
    release.set()  # reached only because the caller did not wait for the call
    assert result() == "look"


def test_the_calls_error_is_raised_in_the_caller():
    def broken() -> None:
        raise PermissionError("/proc/locks")

    with pytest.raises(PermissionError, match="/proc/locks"):
        in_background(broken, name="look")()
