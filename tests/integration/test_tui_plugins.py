"""The plugins view runs a plugin command as `devctl <command>` and shows its output as it comes.

Real CLI children through devctl.procs; the autouse orphan check proves that neither devctl nor
the plugin it started outlives a stop (ctrl+x) or the dashboard closing mid-command.
"""

from __future__ import annotations

from typing import Any

from devctl.procs.pids import pid_alive
from devctl.tui.context import TuiContext
from devctl.tui.plugins_view import PluginsView
from tests.cli import ok, run_cli
from tests.integration.test_pipeline_cli import entry, make_repo
from tests.unit.tui.host import drive, until


def output(view: PluginsView) -> str:
    return "\n".join(line.text for line in view.query_one("#plugins-output").lines)


def test_run_a_plugin_command_see_its_output_stop_one_and_quit_mid_run(tmp_path):
    make_repo(tmp_path, entry("echo", "cmd_echo.py"))
    ok(run_cli("plan", cwd=tmp_path))  # the record: handshake, commands, stderr
    view = PluginsView(TuiContext(root=tmp_path, config_file=None))
    seen: dict[str, Any] = {}

    async def scenario(pilot, view):
        await until(pilot, lambda: view.loads >= 1, "the plugins")
        assert "commands (enter runs one):\n  echo-args\n" in str(view.query_one("#plugins-info").render())
        await pilot.press("enter")
        assert view.query_one("#plugins-prompt").value == "echo-args "
        await pilot.press(*"--exit 3 'two words'", "enter")
        await until(pilot, lambda: view.finished, "the command to end", timeout=30)
        text = output(view)
        assert text.startswith("$ devctl echo-args --exit 3 'two words'")
        assert '"argv": ["--exit", "3", "two words"]' in text  # the plugin's stderr: its output
        assert 'argv=["--exit", "3", "two words"]' in text  # devctl's stdout
        assert view.exit_code == 3 and "exited with code 3" in text
        # A built-in typed at the prompt is refused (`down` would skip the services view's
        # question): nothing runs, the last output stays.
        await pilot.press("enter")
        view.query_one("#plugins-prompt").value = "down"
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert output(view) == text and view.exit_code == 3
        assert view.query_one("#plugins-prompt").has_class("shown")  # still open, to correct
        await pilot.press("escape")
        # Running it stored the command cache: the help line shows after a reload.
        await pilot.press("r")
        info = view.query_one("#plugins-info")
        await until(pilot, lambda: "echo-args — Echo the arguments" in str(info.render()), "its help")

        # A long one, stopped like Ctrl-C: devctl and its plugin are gone when the line says so.
        view.start(["echo-args", "--sleep", "60"])
        await until(pilot, lambda: "sleeping" in output(view), "the command to start", timeout=30)
        run = view.run_
        assert run is not None and run.running()
        await pilot.press("ctrl+x")
        await until(pilot, lambda: view.finished, "the stop", timeout=30)
        assert "stopped (devctl echo-args --sleep 60)" in output(view)
        assert not pid_alive(run.pid)

        # And one still running when the dashboard closes: unmounting the view stops it.
        view.start(["echo-args", "--sleep", "60"])
        await until(pilot, lambda: "sleeping" in output(view), "the command to start", timeout=30)
        seen["run"] = view.run_

    drive(view, scenario)
    run = seen["run"]
    assert run is not None and not run.running() and run.stopped
