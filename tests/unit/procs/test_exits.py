"""One wording for how a child ended."""

from __future__ import annotations

import pytest

from devctl.procs.exits import describe_exit, signal_name


@pytest.mark.parametrize(("code", "text"), [
    (0, "exited with code 0"),
    (3, "exited with code 3"),
    (-9, "killed by SIGKILL"),
    (-15, "killed by SIGTERM"),
    (-99, "killed by signal 99"),
    (None, "is still running"),
])
def test_describe_exit(code: int | None, text: str) -> None:
    assert describe_exit(code) == text


def test_signal_name() -> None:
    assert signal_name(2) == "SIGINT"
    assert signal_name(250) == "signal 250"
