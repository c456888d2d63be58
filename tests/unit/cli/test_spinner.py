"""The plain spinner (devctl/cli/spinner.py): drawn on a terminal only, as rich's status was."""

from __future__ import annotations

import io
import threading
import time

import pytest

from devctl.cli.spinner import ERASE_LINE, FRAMES, HIDE_CURSOR, SHOW_CURSOR, Spinner


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class GoneTerminal(Terminal):
    def write(self, data: str) -> int:
        raise OSError("the terminal went away")


@pytest.fixture(autouse=True)
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR", "NO_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm")


def wait_until(check, timeout: float = 10.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return False


def spinner_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "devctl-spinner"]


def test_on_a_terminal_it_redraws_one_line_then_erases_it() -> None:
    stream = Terminal()
    with Spinner("stopping…", stream) as shown:
        assert stream.getvalue().startswith(HIDE_CURSOR + "\r")
        shown.update("asking the supervisor to stop every service")
        assert wait_until(lambda: "asking the supervisor" in stream.getvalue()), "the update is drawn"
    text = stream.getvalue()
    assert text.endswith(ERASE_LINE + SHOW_CURSOR)
    assert "\n" not in text  # every frame on the same line
    assert f"\x1b[32m{FRAMES[0]}\x1b[0m stopping…" in text  # rich's dots, in green
    assert spinner_threads() == []


def test_no_colour_with_no_color_and_nothing_at_all_when_piped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    stream = Terminal()
    with Spinner("waiting", stream):
        pass
    assert f"{FRAMES[0]} waiting" in stream.getvalue() and "\x1b[32m" not in stream.getvalue()

    piped = io.StringIO()
    with Spinner("waiting", piped) as shown:
        shown.update("still waiting")
        assert spinner_threads() == []
    assert piped.getvalue() == ""


def test_the_text_is_cut_to_the_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "12")
    line = Spinner("a very long message about stopping", Terminal()).line()
    assert line == f"\x1b[32m{FRAMES[0]}\x1b[0m a very lo"  # frame, space and 9: one column spare


def test_a_terminal_that_goes_away_stops_it_quietly() -> None:
    with Spinner("stopping…", GoneTerminal()) as shown:
        shown.update("next")
    assert spinner_threads() == []
