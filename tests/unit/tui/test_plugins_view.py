"""The plugins view's data: the config's plugins, the last run's record and the command cache."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest

from devctl.config import PluginSpec
from devctl.errors import PluginError
from devctl.pipeline import PipelineResult
from devctl.pipeline.record import build_record, write_record
from devctl.plugin_commands.names import Listing
from devctl.tui.context import TuiContext
from devctl.tui.plugins_view import PluginsView, command_words, details_text, plugin_infos
from tests.unit.tui.host import drive, until

SPECS = [PluginSpec(id="app", path="plugins/app.py", args=["--fast"]),
         PluginSpec(id="db", path="plugins/db.py", priority=5),
         PluginSpec(id="new", path="plugins/new.py", priority=6),
         PluginSpec(id="off", path="plugins/off.py", enabled=False, priority=7)]


def client(plugin_id: str, **kw):
    fields = {"pid": 10, "handshake": {"plugin_name": plugin_id, "protocol_version": "v1"},
              "ops": frozenset({"config.mutate"}), "streams": frozenset(), "commands": [], "warnings": []}
    fields.update(kw)
    return SimpleNamespace(spec=SimpleNamespace(id=plugin_id),
                           stderr_tail=lambda n=20: [f"{plugin_id} says hi"], **fields)


def record(error=None):
    clients = [client("app", commands=["seed"], streams=frozenset({"logs.tail"}),
                      warnings=["junk on stdout while idle"])]
    return build_record(command="up", phases=("config.mutate",), events=[], specs=SPECS[:2], clients=clients,
                        result=PipelineResult(), error=error, started=1000.0, duration_ms=5)


def test_infos_merge_config_record_and_cache():
    error = PluginError("db", "exited with code 1 before sending its handshake", code="E_CRASHED",
                        details=["db | no module named psycopg"])
    listings = [Listing(plugin="app", priority=0, commands=[{"name": "seed", "help": "Load demo data"},
                                                            {"name": "reset", "help": ""}])]
    app, db, new, off = plugin_infos(SPECS, record(error), listings)
    assert (app.status, app.ops, app.streams, app.path) == ("started", ["config.mutate"], ["logs.tail"],
                                                           "plugins/app.py --fast")
    assert app.commands == [{"name": "seed", "help": "Load demo data"}, {"name": "reset", "help": ""}]
    assert app.stderr == ["app says hi"] and app.warnings == ["junk on stdout while idle"]
    assert db.status == "failed" and "E_CRASHED" in (db.error or "")
    assert db.stderr == ["no module named psycopg"]
    assert new.status == "not run yet" and new.handshake is None
    assert off.status == "disabled"
    text = details_text(app, record())
    for part in ("app  (started; priority 0)", "run: plugins/app.py --fast", "streams: logs.tail",
                 "  seed — Load demo data", '  plugin_name: "app"', "  | app says hi", "junk on stdout"):
        assert part in text
    assert "`devctl plan` or `devctl up` records its handshake" in details_text(new, record())


def test_no_record_means_every_enabled_plugin_is_not_run_yet():
    assert [i.status for i in plugin_infos(SPECS, None)] == ["not run yet"] * 3 + ["disabled"]


def test_command_words():
    assert command_words("devctl seed --rows '10 000'") == ["seed", "--rows", "10 000"]
    for bad in ("", "devctl", "seed 'open"):
        with pytest.raises(ValueError):
            command_words(bad)


def test_view_lists_plugins_and_shows_the_selected_ones_details(tmp_path):
    (tmp_path / ".devctl.yaml").write_text(
        "plugins:\n"
        f"  - id: app\n    path: {sys.executable}\n    args: [app.py]\n"
        f"  - id: off\n    path: {sys.executable}\n    enabled: false\n")
    write_record(tmp_path, record())
    view = PluginsView(TuiContext(root=tmp_path, config_file=None))

    async def scenario(pilot, view):
        await until(pilot, lambda: view.loads >= 1, "the plugins")
        table = view.query_one("#plugins-table")
        assert [str(table.get_row_at(i)[1]) for i in range(table.row_count)] == ["started", "disabled"]
        info = str(view.query_one("#plugins-info").render())
        assert "app  (started" in info and "commands (enter runs one):" in info
        await pilot.press("enter")  # a prompt, filled with the plugin's first command
        prompt = view.query_one("#plugins-prompt")
        assert prompt.has_class("shown") and prompt.value == "seed " and prompt.has_focus
        await pilot.press("escape")
        assert not prompt.has_class("shown")
        await pilot.press("c")  # the same, by its visible key
        assert prompt.has_class("shown")
        await pilot.press("escape")
        await pilot.press("down", "enter")  # the disabled plugin has no command to run
        assert not prompt.has_class("shown")
        assert "off  (disabled" in str(view.query_one("#plugins-info").render())

    drive(view, scenario, size=(80, 24))


def test_a_broken_config_is_said_in_the_view(tmp_path):
    (tmp_path / ".devctl.yaml").write_text("plugins:\n  - id: a\n    path: sh\n    priority: high\n")
    view = PluginsView(TuiContext(root=tmp_path, config_file=None))

    async def scenario(pilot, view):
        await until(pilot, lambda: view.loads >= 1, "the plugins")
        text = str(view.query_one("#plugins-info").render())
        assert "the config cannot be read" in text and ".devctl.yaml:4" in text

    drive(view, scenario)
