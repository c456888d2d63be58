"""The logs view when the user comes back to it (found by hand in tmux on examples/dashboard):
a followed log that grew while another view was shown must show its end at once, not catch
up from where it was hidden one follow batch per tick (behind a flood it never did)."""

from __future__ import annotations

import pytest

from devctl.tui import logs_view
from devctl.tui.app import DevctlApp
from devctl.tui.context import TuiContext
from devctl.tui.logs_view import LogsView
from tests.unit.tui.test_logs_view import logs_dir, screen_text, until

pytestmark = pytest.mark.anyio


async def test_coming_back_while_following_shows_the_end_at_once(tmp_path, monkeypatch):
    # No follow tick happens during the test: only what showing the view again does counts.
    monkeypatch.setattr(logs_view, "FOLLOW_S", 600.0)
    monkeypatch.setattr(logs_view, "FOLLOW_IDLE_S", 600.0)
    log = logs_dir(tmp_path) / "flood.stdout.log"
    log.write_text("".join(f"flood line {i}\n" for i in range(1, 101)))
    app = DevctlApp(TuiContext(tmp_path, None, no_color=True), feed=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        view = app.query_one(LogsView)
        await until(pilot, lambda: "flood line 100" in screen_text(app), "the tail")
        await pilot.press("1")
        assert app.current_view == "services"
        with log.open("a") as fh:  # the flood goes on while another view is shown
            fh.write("".join(f"flood line {i}\n" for i in range(101, 5001)))
        await pilot.press("2")
        await until(pilot, lambda: screen_text(app).endswith("flood line 5000"),
                    "the end of the log, on coming back", timeout=5.0)
        assert view.follow
        # Paused (scrolled back) is left where it was: only a followed view jumps to the end.
        await pilot.press("k")
        assert not view.follow
        shown = screen_text(app)
        await pilot.press("1")
        with log.open("a") as fh:
            fh.write("flood line 5001\n")
        await pilot.press("2")
        await pilot.pause(0.3)
        assert screen_text(app) == shown
