"""The logs view hosted in a tiny app, driven by Textual's headless pilot, on log files written by
the test (no processes: a real writer is in tests/integration/test_tui_logs.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from devctl.supervisor.logfiles import format_ts
from devctl.tui.context import TuiContext
from devctl.tui.logs_view import LogBody, LogsView

pytestmark = pytest.mark.anyio


class Host(App[None]):
    def __init__(self, ctx: TuiContext, service: str | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.service = service

    def compose(self) -> ComposeResult:
        view = LogsView(self.ctx)
        if self.service is not None:
            view.show_service(self.service)
        yield view


def logs_dir(root: Path) -> Path:
    d = root / ".devctl" / "logs"
    d.mkdir(parents=True, exist_ok=True)
    return d


def screen_text(app: App[None]) -> str:
    view = app.query_one(LogsView)
    body = app.query_one(LogBody)
    return view.paint(body.size.height, body.size.width).plain


async def until(pilot, predicate, what: str, timeout: float = 10.0) -> None:
    """Let the app run (workers, timers) until `predicate()` holds; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def painted(app: App[None]) -> list[str]:
    """The rows the logs body really draws (Textual's rendering, its CSS included)."""
    from textual.geometry import Region

    body = app.query_one(LogBody)
    return [strip.text for strip in body.render_lines(Region(0, 0, body.size.width, body.size.height))]


def status(app: App[None]) -> str:
    return app.query_one(LogsView).status_text()


async def test_one_service_tail_scroll_search_filter_and_first_error(tmp_path):
    d = logs_dir(tmp_path)
    lines = [f"api line {i}" for i in range(1, 5001)]
    lines[99] = "api line 100 ERROR: db refused"
    lines[2999] = "api line 3000 needle"
    lines[4499] = "api line 4500 needle"
    (d / "api.stdout.log").write_text("\n".join(lines) + "\n")
    (d / "api.stderr.log").write_text("warn: slow start\n")
    app = Host(TuiContext(tmp_path, None, no_color=True), service="api")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogsView)
        await until(pilot, lambda: "api line 5000" in screen_text(app), "the tail")
        # stdout first, then stderr (what `devctl logs` prints for unstamped lines); stderr marked.
        assert screen_text(app).splitlines()[-1] == "err warn: slow start"
        assert "following" in status(app)
        # While following, a search looks upwards from the end: the last match.
        await pilot.press("slash", *"needle", "enter")
        await until(pilot, lambda: view.current is not None, "the last match")
        assert view.current.text == "api line 4500 needle" and not view.follow
        await pilot.press("escape", "end")
        await until(pilot, lambda: view.follow and "api line 5000" in screen_text(app), "following again")
        # Scrolling up pauses following; the view reads further back by itself.
        await pilot.press("pageup", "pageup")
        assert "paused" in status(app)
        # Search: `/`, text, Enter -> the next match below the top of the screen, highlighted.
        await pilot.press("g")
        await until(pilot, lambda: "api line 1\n" in screen_text(app) + "\n", "the start")
        await pilot.press("slash", *"needle", "enter")
        await until(pilot, lambda: view.current is not None, "a search hit")
        assert view.current.text == "api line 3000 needle" and "api line 3000 needle" in screen_text(app)
        await pilot.press("n")
        await until(pilot, lambda: view.current.text == "api line 4500 needle", "the next hit")
        await pilot.press("N")
        await until(pilot, lambda: view.current.text == "api line 3000 needle", "the previous hit")
        await pilot.press("N")
        await until(pilot, lambda: "no 'needle' above" in status(app), "no more above")
        # A new search from the start finds nothing below the 4500th line... then looks above.
        await pilot.press("G", "pageup", "slash", *"line 100 ", "enter")
        await until(pilot, lambda: view.current is not None and view.current.text.startswith("api line 100 "),
                    "the match above")
        assert "no 'line 100 ' below; the nearest above" in status(app)
        # First error.
        await pilot.press("e")
        await until(pilot, lambda: view.current is not None and "ERROR" in view.current.text, "the error")
        assert "api line 100 ERROR: db refused" in screen_text(app)
        # Filter: only matching lines.
        await pilot.press("escape", "ampersand", *"needle", "enter")
        await until(pilot, lambda: screen_text(app).count("needle") == 2, "the filtered lines")
        assert screen_text(app).splitlines() == ["    api line 3000 needle", "    api line 4500 needle"]
        assert "filter: needle" in status(app)
        # stdout / stderr / both.
        await pilot.press("escape", "s")  # escape clears the filter; s: stdout only
        await until(pilot, lambda: screen_text(app).splitlines()[-1] == "api line 5000", "stdout only")
        await pilot.press("s")
        await until(pilot, lambda: screen_text(app).strip() == "warn: slow start", "stderr only")
        # Long lines are cut at the edge, not wrapped; right/left scroll them sideways.
        await pilot.press("s")  # both
        with open(d / "api.stderr.log", "a") as fh:
            fh.write("y" * 300 + "\nafter the long one\n")
        await until(pilot, lambda: "after the long one" in screen_text(app), "a long line")
        rows = [r.rstrip() for r in painted(app)]
        assert rows[-2] == ("err " + "y" * 300)[:80] and rows[-1] == "err after the long one"
        await pilot.press("s", "s")  # stderr only
        await until(pilot, lambda: screen_text(app).splitlines()[0] == "warn: slow start", "stderr only")
        await pilot.press("right")
        assert screen_text(app).splitlines()[0] == "warn: slow start"[view.x:] and view.x > 0
        assert screen_text(app).splitlines()[1] == ("y" * 300)[view.x:]
        await pilot.press("left")
        assert screen_text(app).splitlines()[0] == "warn: slow start"


async def test_all_services_merged_with_prefixes_and_follow(tmp_path):
    d = logs_dir(tmp_path)
    t = 1_800_000_000.0
    (d / "api.stdout.log").write_text("".join(format_ts(t + k) + f"api {k}\n" for k in (0, 2)))
    (d / "web.stdout.log").write_text("".join(format_ts(t + k) + f"web {k}\n" for k in (1, 3)))
    app = Host(TuiContext(tmp_path, None, no_color=True))
    async with app.run_test(size=(100, 20)) as pilot:
        await until(pilot, lambda: "web 3" in screen_text(app), "the merged tail")
        rows = [r for r in screen_text(app).splitlines() if r.strip()]
        assert [r.split(" | ")[0].strip() for r in rows] == ["api", "web", "api", "web"]
        assert [r[-5:] for r in rows] == ["api 0", "web 1", "api 2", "web 3"]  # by time
        assert rows[0] == "api |     " + format_ts(t) + "api 0"  # 4 columns: where stderr says "err"
        await pilot.press("t")  # stamps hidden
        assert [r for r in screen_text(app).splitlines() if r.strip()][0] == "api |     api 0"
        await pilot.press("t")
        with open(d / "web.stdout.log", "a") as fh:
            fh.write(format_ts(t + 4) + "web 4\n")
        await until(pilot, lambda: screen_text(app).rstrip().endswith("web 4"), "a followed line")
        # Follow off: new lines are not read until it is back on.
        await pilot.press("f")
        with open(d / "api.stdout.log", "a") as fh:
            fh.write(format_ts(t + 5) + "api 5\n")
        await pilot.pause(0.3)
        assert "api 5" not in screen_text(app)
        await pilot.press("f")
        await until(pilot, lambda: "api 5" in screen_text(app), "follow resumed")
        # `]` goes through the services one by one, then back to all.
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: app.query_one(LogsView).service == "api", "one service")
        await until(pilot, lambda: "web" not in screen_text(app) and "api 5" in screen_text(app), "api only")
        await pilot.press("a")
        await until(pilot, lambda: "web 4" in screen_text(app), "all again")


async def test_no_logs_yet_says_what_to_do(tmp_path):
    app = Host(TuiContext(tmp_path, None, no_color=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "devctl up" in screen_text(app)
        assert {b.action for b in LogsView.BINDINGS} >= {
            "toggle_follow", "cycle_stream", "search", "next_match", "prev_match", "filter", "first_error"}


async def test_a_filter_goes_through_a_big_file_a_budget_at_a_time(tmp_path, monkeypatch):
    from devctl.tui import logsource

    monkeypatch.setattr(logsource, "SCAN_BUDGET", 64 * 1024)
    monkeypatch.setattr(logsource, "BLOCK", 16 * 1024)
    d = logs_dir(tmp_path)
    filler = "".join(f"{i:08d} nothing to see here\n" for i in range(100_000))  # ~2.9 MB
    (d / "api.stdout.log").write_text("00000000 the only rare match\n" + filler)
    app = Host(TuiContext(tmp_path, None, no_color=True), service="api")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogsView)
        await until(pilot, lambda: "nothing to see" in screen_text(app), "the tail")
        await pilot.press("slash", *"rare", "escape")  # escape in the box cancels: no search
        assert view.search is None and not view._input_mode
        await pilot.press("ampersand", *"rare", "enter")
        await until(pilot, lambda: "the only rare match" in screen_text(app), "the match at the start")
        assert view.window.at_start() and screen_text(app).strip() == "00000000 the only rare match"


def test_prefixes_are_coloured_per_service_unless_no_color(tmp_path):
    def styles(no_color: bool) -> list[str]:
        view = LogsView(TuiContext(tmp_path, None, no_color=no_color))
        view.sources = [("api", "stdout"), ("api", "stderr"), ("web", "stdout")]
        return [str(span.style) for p in view._prefixes() for span in p.spans if span.style]

    coloured = styles(False)
    assert coloured[:4] == ["cyan", "red", "cyan", "red"] and "magenta" in coloured  # one colour a service
    assert styles(True) == []


async def test_switching_faster_than_the_reads_still_loads_the_last_choice(tmp_path):
    d = logs_dir(tmp_path)
    (d / "api.stdout.log").write_text("".join(f"out {i}\n" for i in range(2000)))
    (d / "api.stderr.log").write_text("".join(f"err {i}\n" for i in range(2000)))
    app = Host(TuiContext(tmp_path, None, no_color=True), service="api")
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogsView)
        await until(pilot, lambda: "err 1999" in screen_text(app), "the tail")
        for _ in range(4):  # both -> stdout -> stderr -> both -> stdout, with no pause between
            view.action_cycle_stream()
        await until(pilot, lambda: screen_text(app).splitlines()[-1:] == ["out 1999"], "stdout's tail")


async def test_inside_the_dashboard(tmp_path):
    """The view in the real app: key 2 shows it, the services view's "open logs" picks a service,
    switching away and back keeps it, and the help lists its keys."""
    from devctl.tui.app import DevctlApp
    from devctl.tui.overlays import HelpScreen

    d = logs_dir(tmp_path)
    (d / "api.stdout.log").write_text("api ready\napi ERROR: lost the db\n")
    (d / "web.stdout.log").write_text("web listening\n")
    app = DevctlApp(TuiContext(tmp_path, None, no_color=True), feed=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        assert app.current_view == "logs"
        view = app.query_one(LogsView)
        assert app.focused is app.query_one(LogBody)
        await until(pilot, lambda: "web | " in screen_text(app) and "api | " in screen_text(app), "all")
        await app.show_logs("web")
        await until(pilot, lambda: screen_text(app).strip() == "web listening", "web only")
        await pilot.press("1")
        assert app.current_view == "services"
        await pilot.press("2")
        assert view.service == "web" and app.focused is app.query_one(LogBody)
        await pilot.press("left_square_bracket")  # the previous service: api
        await until(pilot, lambda: view.service == "api", "api")
        await pilot.press("e")
        await until(pilot, lambda: view.current is not None and "ERROR" in view.current.text, "the error")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = dict(app.screen.view_keys)
        assert "first error" in rows["e"] and "follow" in rows["f"]
        await pilot.press("escape")
        # The app's own keys still work from the logs view.
        await pilot.press("3")
        assert app.current_view == "events"
