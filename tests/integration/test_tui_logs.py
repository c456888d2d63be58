"""The logs view on a real supervisor: a service writes 10k lines/s (testdata/reliability/flood.py,
100-byte lines at 1 MB/s) while the pilot presses keys; every key still answers, and following
ends on the last line written with none lost or repeated; a restart (the log moved to `.1`, a new
file) is followed into."""

from __future__ import annotations

import statistics
import time

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Input

from devctl.tui.context import TuiContext
from devctl.tui.logs_view import LogBody, LogsView
from tests.cli import ok
from tests.reliability.harness import Repo, rel, svc

pytestmark = pytest.mark.anyio

#: Long enough for a round of keys on a loaded 2-core box (a round takes 0.3-3 s).
FLOOD_S = 6.0


class Host(App[None]):
    def __init__(self, ctx: TuiContext) -> None:
        super().__init__()
        self.ctx = ctx

    def compose(self) -> ComposeResult:
        yield LogsView(self.ctx)


async def until(pilot, predicate, what: str, timeout: float = 30.0) -> float:
    """Run the app until `predicate()` holds; the seconds it took (the test's figure, not asserted)."""
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await pilot.pause(0.01)
    return time.monotonic() - t0


def press(app: App[None], key: str, char: str | None = None) -> None:
    """Send one key the way the pilot does, without `pilot.press`'s wait for the process to go
    idle (up to 1 s per key while a flood keeps a thread busy: that would time the harness)."""
    event = events.Key(key, char if char is not None else (key if len(key) == 1 else None))
    event.set_sender(app)
    assert app._driver is not None
    app._driver.send_message(event)


def numbers(view: LogsView) -> list[int]:
    """The flood's line numbers held (stdout, source 0; stderr has its summary line)."""
    return [int(x.text[:9]) for x in view.window.lines if x.src == 0]


async def test_keys_answer_while_a_service_writes_10k_lines_per_second(tmp_path):
    repo = Repo(tmp_path).plan(svc("flood", rel("flood.py"), str(FLOOD_S), "1"),
                               svc("quiet", "numbered_lines.py", "3"))
    ok(repo.cli("up"))
    try:
        app = Host(TuiContext(tmp_path, None, no_color=True))
        async with app.run_test(size=(100, 30)) as pilot:
            view = app.query_one(LogsView)
            body = app.query_one(LogBody)
            view.show_service("flood")
            await until(pilot, lambda: len(view.window.lines) > 100, "flood lines")
            waits: list[float] = []
            rounds = 0
            stderr = repo.log("flood", "stderr")
            while "wrote" not in (stderr.read_text() if stderr.exists() else "") and rounds < 200:
                rounds += 1
                # Keys that start a new window first; then the ones that keep it, so what is
                # held at the end was followed live since the last `s`.
                for key, char, done, what in [
                    ("s", None, lambda: view.stream_mode == "stdout" and view.window.lines, "stdout"),
                    ("s", None, lambda: view.stream_mode == "stderr", "stderr"),
                    ("s", None, lambda: view.stream_mode == "both" and view.window.lines, "both"),
                    ("slash", "/", lambda: view._input_mode == "search", "the search box"),
                    ("0", None, lambda: app.query_one(Input).value == "0", "typing"),
                    ("enter", "\r", lambda: view.current is not None, "a search hit"),
                    ("escape", None, lambda: view.current is None, "escape clears the search"),
                    ("end", None, lambda: view.follow, "following again"),
                    ("pageup", None, lambda: not view.follow, "pageup to pause following"),
                    ("end", None, lambda: view.follow, "end to resume following"),
                ]:
                    press(app, key, char)
                    waits.append(await until(pilot, done, what))
                # Painting the screen stays cheap however much is held.
                body.render()
            assert rounds >= 1 and len(waits) >= 10, "the flood ended before the keys were tried"
            total = int(stderr.read_text().split()[1])
            # Following catches up with the last line, every line once and in order.
            await until(pilot, lambda: numbers(view) and numbers(view)[-1] == total, "the last line")
            got = numbers(view)
            assert got == list(range(got[0], total + 1)), "lines lost, repeated or out of order"
            assert "flood" in view.status_text() and view.follow
            print(f"\nflood {stderr.read_text().strip()}; {rounds} rounds of {len(waits) // rounds} keys "
                  "while it wrote; "
                  f"from key to its effect: median {statistics.median(waits) * 1000:.0f} ms, "
                  f"max {max(waits) * 1000:.0f} ms; {len(got)} lines held, in order")
            # All services merged: the quiet one's few lines do not hide the flood's.
            await pilot.press("a")
            await until(pilot, lambda: view.service is None and any(
                x.text.endswith("x" * 90) for x in view.window.lines), "all services")
            # A restart moves the log to `.1` and starts a new file: following goes on into it.
            view.show_service("quiet")
            await until(pilot, lambda: [x.text for x in view.window.lines if x.src == 0] == [
                "line 1", "line 2", "line 3"], "the quiet service's lines")
            ok(repo.cli("restart", "quiet"))
            await until(pilot, lambda: [x.text for x in view.window.lines if x.src == 0] == [
                "line 1", "line 2", "line 3"] * 2, "the restarted run's lines, followed")
    finally:
        ok(repo.cli("down"))
