"""The TUI's Dofek view with real plugin processes (testdata/dofek/*.py), driven by Textual's
headless pilot in a tiny host App: panels and states from the poll host, the keys, reloading
an edited dofek.toml, a broken one, and no plugin left once the app is gone."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from devctl.procs.pids import pid_alive
from devctl.tui.app import DevctlApp
from devctl.tui.context import TuiContext
from devctl.tui.dofek_view import DofekView
from tests.tui.screen import screen_text, wait_until
from tests.unit.tui.host import Host

pytestmark = pytest.mark.anyio  # on asyncio, anyio's default backend (and Textual's loop)
TD = Path(__file__).resolve().parents[2] / "testdata" / "dofek"


@pytest.fixture(autouse=True)
def no_user_dofek(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the user's own Dofek config (plugins.toml) out of the lookup."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def plugin_entry(name: str, script: str, *args: str) -> str:
    return (f'[[plugins]]\nname = "{name}"\ncommand = {json.dumps(sys.executable)}\n'
            f"args = {json.dumps([str(TD / script), *args])}\n")


def write_config(root: Path, *entries: str) -> None:
    (root / "dofek.toml").write_text("[general]\nrefresh_ms = 200\n\n" + "\n".join(entries))


def plugin(view: DofekView, name: str) -> dict[str, Any] | None:
    snap = view.snapshot or {"plugins": []}
    return next((p for p in snap["plugins"] if p["config_name"] == name), None)


def state(view: DofekView, name: str) -> str | None:
    found = plugin(view, name)
    return found["state"] if found else None


async def test_panels_keys_reload_and_no_plugin_outlives_the_app(tmp_path: Path) -> None:
    write_config(tmp_path, plugin_entry("alpha", "ok.py", "alpha"), plugin_entry("boom", "crashing.py"))
    view = DofekView(TuiContext(tmp_path, None))
    pids: set[int] = set()
    async with Host(view).run_test(size=(110, 40)) as pilot:
        await wait_until(pilot, lambda: state(view, "alpha") == "healthy"
                         and (plugin(view, "boom") or {}).get("restarts", 0) >= 1,
                         what="alpha healthy and boom restarted")
        pids.add(plugin(view, "alpha")["pid"])  # type: ignore[index]
        screen = screen_text(pilot.app)
        # the dock as `devctl dofek run` draws it: state dot, name, state, first panel inline
        assert "● alpha healthy  Polls" in screen, screen
        assert "boom" in screen and "Procs" in screen  # the crashing plugin, the metrics ticker
        assert "dofek.toml · refresh 200 ms" in screen
        assert "Processes" in screen and "alpha plugin" in screen  # watchlist with the annotation

        await pilot.press("e")  # each plugin's last stderr lines
        await wait_until(pilot, lambda: "Plugin stderr" in screen_text(pilot.app), what="stderr panel")
        assert "poll " in screen_text(pilot.app)  # ok.py logs "poll N" on stderr
        await pilot.press("w")  # the watchlist off
        await wait_until(pilot, lambda: "alpha plugin" not in screen_text(pilot.app), what="no watchlist")

        # edit dofek.toml, press r: the old plugins are stopped, the new list runs
        write_config(tmp_path, plugin_entry("beta", "ok.py", "beta"))
        await pilot.press("r")
        await wait_until(pilot, lambda: state(view, "beta") == "healthy", what="beta after reload")
        assert plugin(view, "alpha") is None
        assert not any(pid_alive(pid) for pid in pids), "reload left the old plugin running"
        pids.add(plugin(view, "beta")["pid"])  # type: ignore[index]
    # the app is gone: its plugins went with it (checked now, not after the orphan check's grace)
    assert not any(pid_alive(pid) for pid in pids), pids


async def test_a_broken_dofek_toml_is_shown_with_its_line_and_the_app_keeps_running(tmp_path: Path) -> None:
    (tmp_path / "dofek.toml").write_text("[general]\nrefresh_ms = 200\n\n[[plugins]]\nname = \"x\"\n"
                                         "command = \"true\"\ntimeout_ms = \"250ms\"\n")
    view = DofekView(TuiContext(tmp_path, None))
    async with Host(view).run_test(size=(200, 20)) as pilot:
        await wait_until(pilot, lambda: "press r to reload" in screen_text(pilot.app), what="config error")
        screen = screen_text(pilot.app)
        assert "dofek.toml:7: [[plugins]] #1 'x': timeout_ms: must be a whole number" in screen, screen
        assert "Traceback" not in screen
        # fixed, r runs it
        write_config(tmp_path, plugin_entry("fixed", "ok.py", "fixed"))
        await pilot.press("r")
        await wait_until(pilot, lambda: state(view, "fixed") == "healthy", what="the fixed config")


async def test_in_the_dashboard_key_6_shows_the_plugins_and_quitting_stops_them(tmp_path: Path) -> None:
    write_config(tmp_path, plugin_entry("alpha", "ok.py", "alpha"))
    app = DevctlApp(TuiContext(tmp_path, None), feed=False)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.view("dofek") is None  # no plugin runs before the view is first shown
        await pilot.press("6")
        view = app.view("dofek")
        assert isinstance(view, DofekView)
        await wait_until(pilot, lambda: state(view, "alpha") == "healthy", what="alpha healthy")
        pid = plugin(view, "alpha")["pid"]  # type: ignore[index]
        await pilot.press("1")  # another view: the plugins go on polling
        polls = view.snapshot["tick"]  # type: ignore[index]
        await wait_until(pilot, lambda: view.snapshot["tick"] > polls, what="a tick while hidden")  # type: ignore[index]
        await pilot.press("6", "question_mark")  # the help lists the view's keys
        await wait_until(pilot, lambda: "restart its plugins" in screen_text(app), what="the help")
        await pilot.press("escape", "q")
    assert not pid_alive(pid)
