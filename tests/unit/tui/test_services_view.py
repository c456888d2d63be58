"""The services view: its cells (pure), and the table driven headless — live updates in place,
the narrow layout, the "not up" offer, and `down` asking first. No processes here; the real
supervisor is in tests/integration/test_tui_services.py."""

from __future__ import annotations

import time

import pytest
from textual.widgets import DataTable, Static

from devctl.tui.app import DevctlApp
from devctl.tui.context import TuiContext
from devctl.tui.feed import Usage
from devctl.tui.services_view import details_line, human_bytes, ports_of, row_cells, summary, uptime_text

pytestmark = pytest.mark.anyio
NOW = 1_000_000.0


def svc(name: str, state: str = "running", **extra) -> dict:
    return {"name": name, "state": state, "pid": 321, "pgid": 321, "started_at": NOW - 75,
            "restarts": 2, **extra}


def test_cells_of_a_live_service():
    health = {"type": "tcp", "target": "127.0.0.1:5432", "ok": False, "error": "connection refused"}
    cells = row_cells(svc("db", "unhealthy", health=health), Usage(12.34, 50 * 1024 * 1024, 3), NOW)
    assert cells == {"service": "db", "state": "unhealthy", "health": "tcp: connection refused",
                     "pid": "321", "uptime": "1m", "restarts": "2", "cpu": "12%", "rss": "50M",
                     "ports": "5432"}


def test_ports_listened_on_win_over_the_health_check_once_sampled():
    health = {"type": "tcp", "target": "127.0.0.1:5432", "ok": True, "error": ""}
    assert row_cells(svc("db", health=health), Usage(0, 0, 1, (5432, 9187)), NOW)["ports"] == "5432,9187"
    assert row_cells(svc("db", health=health), Usage(0, 0, 1), NOW)["ports"] == "5432"
    assert row_cells(svc("w"), None, NOW)["ports"] == "-"


def test_a_stopped_service_shows_no_process_figures_even_with_a_stale_sample():
    health = {"type": "tcp", "target": "127.0.0.1:5432", "ok": None, "error": ""}
    record = svc("db", "exited", error="exited with code 3", health=health)
    cells = row_cells(record, Usage(5.0, 1000, 1, (5432,)), NOW)
    assert (cells["pid"], cells["uptime"], cells["cpu"], cells["rss"], cells["ports"]) == ("-",) * 5


def test_narrow_cuts_the_health_text_but_details_keep_it_whole():
    health = {"type": "http", "target": "http://127.0.0.1:8080/h", "ok": False,
              "error": "HTTP 503 Service Unavailable from upstream"}
    record = svc("web", "unhealthy", health=health, logs={"stdout": "/r/.devctl/logs/web.stdout.log",
                                                        "stderr": "/r/.devctl/logs/web.stderr.log"})
    cells = row_cells(record, None, NOW, narrow=True)
    assert len(cells["health"]) == 18 and cells["health"].endswith("…")
    assert cells["ports"] == "8080"
    line = details_line(record)
    assert "http probe: HTTP 503 Service Unavailable from upstream" in line
    assert "web.stdout.log, web.stderr.log" in line


def test_details_say_why_a_service_is_down():
    assert details_line(svc("db", "exited", error="killed by SIGKILL")) == "db  ·  killed by SIGKILL"


@pytest.mark.parametrize(("n", "text"), [(None, "-"), (512, "512B"), (2048, "2K"), (5 * 2**20, "5.0M"),
                                         (int(11.6 * 2**20), "12M"), (300 * 2**20, "300M"),
                                         (3 * 2**30, "3.0G")])
def test_human_bytes(n, text):
    assert human_bytes(n) == text


def test_uptime_is_coarse_so_an_idle_table_rarely_changes():
    assert [uptime_text(s) for s in (None, 4.25, 10, 59.9, 60, 3599, 3600, 90000)] == [
        "-", "<10 s", "10 s", "50 s", "1m", "59m", "1h00m", "1d01h"]


def test_ports_and_summary():
    assert ports_of({"health": {"type": "tcp", "target": "localhost:bad"}}) == []
    assert ports_of({"health": None}) == []
    assert summary({"services": [svc("a"), svc("b", "healthy"), svc("c", "failed")]}) == "2/3 up"
    assert summary(None) == "0/0 up"


def snapshot(*services: dict) -> dict:
    return {"repo_root": "/r", "supervisor": {"running": True, "pid": 1}, "services": list(services)}


def live(name: str, state: str = "running") -> dict:
    return {**svc(name, state), "started_at": time.time() - 5}


def cell(app: DevctlApp, row: str, column: str) -> str:
    return str(app.view("services").query_one(DataTable).get_cell(row, column))


async def test_table_updates_in_place_and_keeps_the_cursor_on_its_service(tmp_path):
    app = DevctlApp(TuiContext(tmp_path, None), feed=False)
    async with app.run_test(size=(120, 30)) as pilot:
        app.deliver("state", snapshot(live("a"), live("b"), live("c")))
        await pilot.pause()
        table = app.view("services").query_one(DataTable)
        table.move_cursor(row=1)
        app.deliver("state", snapshot(live("a"), live("b", "backoff"), live("c")))
        await pilot.pause()
        assert cell(app, "b", "state") == "backoff"
        assert app.view("services").selected() == "b"
        app.deliver("state", snapshot(live("z"), live("a"), live("b")))  # a service came, one went
        await pilot.pause()
        assert table.row_count == 3 and app.view("services").selected() == "b"
        app.deliver("usage", {"b": Usage(1.6, 2048, 1)})
        await pilot.pause()
        assert cell(app, "b", "cpu") == "2%" and cell(app, "b", "rss") == "2K"
        assert [str(c.label) for c in table.columns.values()][-1] == "PORTS"


async def test_narrow_terminal_drops_pid_and_ports_and_keeps_the_essentials(tmp_path):
    app = DevctlApp(TuiContext(tmp_path, None), feed=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.deliver("state", snapshot(live("web"), live("db")))
        await pilot.pause()
        table = app.view("services").query_one(DataTable)
        headers = [str(c.label) for c in table.columns.values()]
        assert headers == ["SERVICE", "STATE", "HEALTH", "UPTIME", "RESTARTS", "CPU", "RSS"]
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        assert "PID" in [str(c.label) for c in table.columns.values()]
        assert cell(app, "db", "pid") == "321"


async def test_not_up_offers_up(tmp_path):
    app = DevctlApp(TuiContext(tmp_path, None), feed=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.deliver("state", None)
        await pilot.pause()
        view = app.view("services")
        notup = view.query_one("#notup", Static)
        assert notup.display and not view.query_one(DataTable).display
        assert "Press u to run `devctl up`" in str(notup.render())
        button = view.query_one("#up-button")
        assert button.display
        app.deliver("state", snapshot(live("web")))
        await pilot.pause()
        assert not button.display and not notup.display


async def test_down_asks_first_and_no_does_nothing(tmp_path):
    app = DevctlApp(TuiContext(tmp_path, None), feed=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.deliver("state", snapshot(live("web")))
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        from devctl.tui.overlays import ConfirmScreen

        assert isinstance(app.screen, ConfirmScreen)
        assert "Stop 1 running service(s) (web)" in app.screen.question
        await pilot.press("enter")  # the focused button is Cancel: enter alone never stops anything
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.view("services").busy is None and not app.children_running


async def test_keys_need_a_selected_service(tmp_path):
    app = DevctlApp(TuiContext(tmp_path, None), feed=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.deliver("state", None)
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert app.view("services").busy is None
        assert any("no service selected" in str(n.message) for n in app._notifications)


async def test_a_dead_supervisors_services_are_named_with_what_to_do(tmp_path):
    app = DevctlApp(TuiContext(tmp_path, None), feed=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.deliver("state", None)
        app.deliver("stale", snapshot(live("web"), live("db", "exited")))
        await pilot.pause()
        text = str(app.view("services").query_one("#notup", Static).render())
        assert "The supervisor is not running" in text and "web (running)" in text and "db" not in text
        assert "its services may still run" in str(app.query_one("#header", Static).render())
        assert "may still run (web)" in app.exit_note()
        app.deliver("state", snapshot(live("web")))  # a supervisor again: the warning goes
        await pilot.pause()
        assert app.stale is None and "running (pid 1)" in str(app.query_one("#header", Static).render())


async def test_no_color_leaves_the_state_cells_unstyled(tmp_path):
    for no_color, styled in ((False, True), (True, False)):
        app = DevctlApp(TuiContext(tmp_path, None, no_color=no_color), feed=False)
        async with app.run_test(size=(100, 30)) as pilot:
            app.deliver("state", snapshot(live("web", "failed")))
            await pilot.pause()
            state = app.view("services").query_one(DataTable).get_cell("web", "state")
            assert bool(str(state.style)) is styled
