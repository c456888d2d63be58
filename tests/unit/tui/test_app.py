"""The app shell, driven headless: view switching (keys, tabs), placeholders, the help overlay,
the header, and what it says on exit. No supervisor here (`feed=False`): states are handed to
the app as its feed would hand them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.widgets import ContentSwitcher, Static, Tabs

from devctl.tui.app import DevctlApp, Placeholder, exit_note, shown_views
from devctl.tui.context import TuiContext
from devctl.tui.views import ViewSpec

pytestmark = pytest.mark.anyio


def snapshot(*services: dict) -> dict:
    return {"repo_root": "/r", "supervisor": {"running": True, "pid": 4242}, "services": list(services)}


def svc(name: str, state: str = "running", **extra) -> dict:
    return {"name": name, "state": state, "pid": 100, "pgid": 100, "started_at": time.time() - 5,
            "restarts": 0, **extra}


class FakeLogs(Static):
    """Stands in for the logs view: records what it was asked to show and what it was fed."""

    def __init__(self, ctx: TuiContext) -> None:
        super().__init__("fake logs")
        self.shown: list[str | None] = []
        self.states: list[dict | None] = []
        self.events: list[dict] = []

    def show_service(self, name: str | None) -> None:
        self.shown.append(name)

    def on_state(self, snap: dict | None) -> None:
        self.states.append(snap)

    def on_supervisor_event(self, event: dict) -> None:
        self.events.append(event)


class BrokenView(Static):
    def __init__(self, ctx: TuiContext) -> None:
        raise ValueError("boom")


def make_app(tmp_path: Path, **views: ViewSpec) -> DevctlApp:
    app = DevctlApp(TuiContext(tmp_path, None), feed=False)
    app.views = [views.get(v.id, v) for v in app.views]
    return app


async def test_keys_and_tabs_switch_views_and_unwritten_views_say_so(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.current_view == "services"
        await pilot.press("3")
        assert app.current_view == "events"
        assert app.query_one(Tabs).active == "tab-events"
        widget = app.view("events")
        if isinstance(widget, Placeholder):  # until its module lands
            assert "not written yet" in str(widget.render())
        await pilot.click("#tab-services")
        await pilot.pause()
        assert app.current_view == "services"
        assert app.query_one(ContentSwitcher).current == "services"
        await pilot.press("9")  # no such view: nothing happens
        assert app.current_view == "services"


async def test_dofek_tab_only_with_a_dofek_toml(tmp_path):
    assert "dofek" not in [v.id for v in shown_views(TuiContext(tmp_path, None))]
    (tmp_path / "dofek.toml").write_text("")
    assert "dofek" in [v.id for v in shown_views(TuiContext(tmp_path, None))]


async def test_a_view_that_fails_to_build_shows_why_and_the_app_goes_on(tmp_path):
    broken = ViewSpec("events", "3", "Events", __name__, "BrokenView")
    app = make_app(tmp_path, events=broken)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        widget = app.view("events")
        assert isinstance(widget, Placeholder)
        assert "failed to start: ValueError: boom" in str(widget.render())
        await pilot.press("1")
        assert app.current_view == "services"


async def test_views_get_state_and_events_and_open_logs_asks_the_logs_view(tmp_path):
    logs = ViewSpec("logs", "2", "Logs", __name__, "FakeLogs")
    app = make_app(tmp_path, logs=logs)
    async with app.run_test(size=(100, 30)) as pilot:
        app.deliver("state", snapshot(svc("web"), svc("db")))
        await pilot.pause()
        table = app.view("services").query_one("DataTable")
        table.move_cursor(row=1)
        await pilot.press("l")
        await pilot.pause()
        fake = app.view("logs")
        assert app.current_view == "logs"
        assert fake.shown == ["db"]
        assert fake.states[-1]["services"][0]["name"] == "web"  # a late view gets the current state
        app.deliver("event", {"event": "exited", "service": "db"})
        assert fake.events == [{"event": "exited", "service": "db"}]


async def test_header_follows_the_supervisor(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        header = app.query_one("#header", Static)
        assert "supervisor: …" in str(header.render())
        app.deliver("state", None)
        await pilot.pause()
        assert "not running" in str(header.render())
        app.deliver("state", snapshot(svc("web", "healthy"), svc("db", "exited")))
        await pilot.pause()
        text = str(header.render())
        assert "running (pid 4242)" in text and "1/2 up" in text and tmp_path.name in text


async def test_help_lists_the_current_views_keys_and_the_global_ones(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        from devctl.tui.overlays import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        rows = dict(app.screen.view_keys)
        assert "asks first" in rows["d"] and "logs" in rows["l / enter"]
        everywhere = dict(app.screen.global_keys)
        assert everywhere["q"] == "leave the dashboard; the services keep running"
        assert "1/2/3/4/5" in everywhere
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


def test_exit_note_says_what_keeps_running():
    snap = snapshot(svc("web"), svc("db", "exited"))
    assert exit_note(snap, []) == "left 1 service(s) running (web); `devctl down` stops them"
    assert exit_note(None, []) == "nothing is running for this repo"
    assert "still up with no service running" in exit_note(snapshot(svc("db", "stopped")), [])
    assert exit_note(None, ["up"]).startswith("stopped the `devctl up` that was still running")
    stale = snapshot(svc("web", "running"), svc("db", "exited"))
    assert exit_note(None, [], stale) == ("the supervisor is not running, but services it started may "
                                          "still run (web); `devctl down` stops them")


async def test_the_key_bar_shows_the_current_keys_and_a_click_presses_one(tmp_path):
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        text = str(app.query_one("#keys", Static).render())
        assert text.startswith("q Quit  ? Help  s Start  x Stop")
        await pilot.click("#keys", offset=(1 + text.index("? Help"), 0))  # 1: the bar's padding
        await pilot.pause()
        from devctl.tui.overlays import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("4")
        await pilot.pause()
        assert "s Start" not in str(app.query_one("#keys", Static).render())  # the view's keys went
