"""The failure paths a user meets, with the installed CLI: each gives one clear error, the
documented exit code, and leaves nothing running (the autouse orphan check proves the last).

The messages asserted here are the ones quoted in docs/troubleshooting.md.
"""

from __future__ import annotations

import sys

import pytest

PLUGIN = '''
import os, sys, time
from devctl.sdk import Plugin, PluginFailure

plugin = Plugin("app")
MODE = os.environ.get("SMOKE_MODE", "")


@plugin.op("config.mutate")
def mutate(req):
    if MODE == "hang":
        time.sleep(120)
    return {}


@plugin.op("validate.run")
def validate(req):
    if MODE == "invalid":
        return {"valid": False, "warnings": [], "errors": [
            {"code": "E_NO_DB", "message": "postgres is not running", "suggest": "start it: pg_ctl start"}]}
    return {"valid": True, "errors": [], "warnings": []}


@plugin.op("launch.plan")
def plan(req):
    if MODE == "crash":
        code = ("import sys; print('api: cannot bind 0.0.0.0:80: permission denied', file=sys.stderr); "
                "sys.exit(3)")
        return {"services": [{"name": "api", "command": [PY, "-c", code]}]}
    if MODE == "missing":
        return {"services": [{"name": "api", "command": ["no-such-binary-for-smoke"]}]}
    if MODE == "unhealthy":
        return {"services": [{"name": "api", "command": [PY, "-c", "import time; time.sleep(120)"],
                              "health": {"type": "tcp", "address": "127.0.0.1:1", "timeout_ms": 1500}}]}
    return {"services": [{"name": "api", "command": [PY, "-c", "import time; time.sleep(120)"]}]}


@plugin.command("sleepy", help="Sleep for a long time")
def sleepy(req):
    time.sleep(120)
    return 0


plugin.run()
'''


@pytest.fixture
def app(make_repo):
    return make_repo({
        ".devctl.yaml": f"plugins:\n  - id: app\n    path: {sys.executable}\n    args: [plugins/app.py]\n",
        "plugins/app.py": f"PY = {sys.executable!r}\n" + PLUGIN,
    })


def assert_nothing_runs(devctl) -> None:
    status = devctl("status")
    assert status.returncode == 3, status.stdout + status.stderr
    assert not (devctl.repo / ".devctl" / "state.json").exists()


def test_config_error_names_file_line_and_key(make_repo):
    devctl = make_repo({".devctl.yaml": f"plugins:\n  - id: app\n    path: {sys.executable}\n"
                                        "    priority: high\n    prority: 2\n"})
    result = devctl("up")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "error: .devctl.yaml:4: plugins[0].priority: expected an integer, got 'high'" in result.stderr
    assert ".devctl.yaml:5: plugins[0].prority: unknown key (did you mean 'priority'?)" in result.stderr
    assert_nothing_runs(devctl)


def test_no_config_says_where_it_looked(make_repo, tmp_path):
    devctl = make_repo({"README": "no config here\n"})
    result = devctl("plan")
    assert result.returncode == 2
    assert "error: no .devctl.yaml found in" in result.stderr
    assert f"looked for {devctl.repo / '.devctl.yaml'}" in result.stderr


def test_validation_fails_and_nothing_starts(app):
    result = app("up", env={"SMOKE_MODE": "invalid"})
    assert result.returncode == 1
    assert "error: validation failed (1 error(s)); nothing was started" in result.stderr
    assert "E_NO_DB: postgres is not running" in result.stderr
    assert "hint: start it: pg_ctl start" in result.stderr
    assert app("validate", env={"SMOKE_MODE": "invalid"}).returncode == 1
    assert_nothing_runs(app)


def test_launch_fails_shows_the_services_stderr(app):
    result = app("up", env={"SMOKE_MODE": "crash"})
    assert result.returncode == 1
    assert "error: service 'api' failed to start: exited with code 3" in result.stderr
    assert "api: cannot bind 0.0.0.0:80: permission denied" in result.stderr
    assert_nothing_runs(app)
    # The log stays for a look afterwards.
    assert "permission denied" in app.ok("logs", "api").stdout


def test_launch_fails_when_the_command_does_not_exist(app):
    result = app("up", env={"SMOKE_MODE": "missing"})
    assert result.returncode == 1
    assert "error: service 'api': no-such-binary-for-smoke: command not found in PATH" in result.stderr
    assert_nothing_runs(app)


def test_launch_fails_when_the_health_check_never_passes(app):
    result = app("up", env={"SMOKE_MODE": "unhealthy"})
    assert result.returncode == 1
    assert "error: service 'api' failed to start: not ready within 1.5 s" in result.stderr
    assert "last tcp check of 127.0.0.1:1" in result.stderr
    assert_nothing_runs(app)


def test_plugin_timeout_stops_the_plugin(app):
    result = app("--timeout", "1", "up", env={"SMOKE_MODE": "hang"})
    assert result.returncode == 1
    assert "error: plugin 'app' [E_TIMEOUT]: op 'config.mutate' got no response within 1 s" in result.stderr
    assert "devctl stopped the plugin's process group" in result.stderr
    assert_nothing_runs(app)


def test_plugin_command_timeout_stops_the_plugin(app):
    result = app("--timeout", "1", "sleepy")
    assert result.returncode == 1
    assert "[E_TIMEOUT]: op 'command.run' got no response within 1 s" in result.stderr


def test_up_again_changes_nothing_and_status_reports_it(app):
    app.ok("up")
    again = app("up")  # the same plan again: applied, nothing to change (docs/supervisor.md)
    assert again.returncode == 0
    assert "already up to date" in again.stderr and "unchanged" in again.stdout
    assert app("status").returncode == 0
    app.ok("down")
    assert_nothing_runs(app)
