"""dotagent inside devctl: `.devctl.yaml` preflights in validate, notifiers fed by the supervisor."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from dotagent_fixtures import EXAMPLES, install

from devctl.config import Config
from devctl.dotagent.notify import NotifierBridge
from devctl.dotagent.preflight import run_preflights
from tests.cli import run_cli, wait_for

ROOT = Path(__file__).resolve().parents[2]
SUP_PLAN = ROOT / "testdata" / "plugins" / "sup_plan.py"


def logged(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line)["payload"] for line in path.read_text().splitlines()]


def test_run_preflights_pass_fail_and_dry_run(tmp_path, monkeypatch):
    monkeypatch.setenv("DOTAGENT_PLUGIN_PATH", str(EXAMPLES))
    marker = tmp_path / "ran"
    cfg = Config(
        path=tmp_path / ".devctl.yaml",
        repo_root=tmp_path,
        plugins=[],
        all_plugins=[],
        preflight=[
            {"plugin": "preflight-cmd", "config": {"command": ["touch", str(marker)]}},
            {"plugin": "preflight-cmd", "config": {"command": ["false"], "suggest": "run make deps"}},
            {"plugin": "preflight-cmd", "config": {"command": ["false"], "args": "x"}},
        ],
    )
    errors = run_preflights(cfg, dry_run=True)
    assert not marker.exists()  # dry run: checked, not invoked
    assert [e["message"].split(":")[0] for e in errors] == [".devctl.yaml preflight[2]"]
    assert "$.args: 'x' is not of type 'array'" in errors[0]["details"]
    errors = run_preflights(cfg)
    assert marker.exists()
    assert [(e["plugin"], e["code"]) for e in errors] == [("dotagent:preflight-cmd", "E_PREFLIGHT")] * 2
    assert errors[0]["suggest"] == "run make deps" and "false exited 1" in errors[0]["message"]
    cfg.preflight = cfg.preflight[:1]
    assert run_preflights(cfg) == []


def test_devctl_validate_shows_preflight_suggest(tmp_path):
    (tmp_path / ".devctl.yaml").write_text(
        "preflight:\n  - plugin: preflight-cmd\n"
        "    config: {command: ['false'], suggest: 'start postgres: brew services start postgresql'}\n"
    )
    res = run_cli("validate", cwd=tmp_path, env={"DOTAGENT_PLUGIN_PATH": str(EXAMPLES)})
    assert res.returncode == 1
    assert "hint: start postgres: brew services start postgresql" in res.stdout  # one line, unwrapped
    res = run_cli("validate", "--json", cwd=tmp_path, env={"DOTAGENT_PLUGIN_PATH": str(EXAMPLES)})
    error = json.loads(res.stdout)["errors"][0]
    assert (
        "preflight preflight-cmd failed: false exited 1, expected 0 (exited with code 1)" in error["message"]
    )
    assert error["suggest"] == "start postgres: brew services start postgresql"
    (tmp_path / ".devctl.yaml").write_text(
        "preflight:\n  - plugin: preflight-cmd\n    config: {command: [false]}\n"
    )
    res = run_cli("validate", "--json", cwd=tmp_path, env={"DOTAGENT_PLUGIN_PATH": str(EXAMPLES)})
    assert res.returncode == 1
    message = json.loads(res.stdout)["errors"][0]["message"]
    assert "schema" in message and "$.command[0]: False is not of type 'string'" in message


def test_bridge_never_blocks_on_a_hung_notifier(tmp_path, monkeypatch):
    install(tmp_path / "plugins", "stuck", "hang")
    monkeypatch.setenv("DOTAGENT_PLUGIN_PATH", f"{tmp_path / 'plugins'}:{EXAMPLES}")
    monkeypatch.setenv("FIXTURE_HANG_VERBS", "invoke")
    log = tmp_path / "events.log"
    bridge = NotifierBridge(
        [
            {"plugin": "stuck", "config": {}, "events": [], "timeout_s": 1},
            {"plugin": "notify-log", "config": {"path": str(log)}, "events": ["attempt_failed", "recovered"]},
        ],
        tmp_path,
    )
    for ev in [
        {"service": "web", "event": "ready"},
        {"service": "web", "event": "exited", "exit_code": 1},
        {"service": "web", "event": "restarting", "attempt": 1},
        {"service": "web", "event": "ready"},
        {"service": None, "event": "up_done"},
    ]:
        bridge(ev)
    # Every call returned while the first delivery (to the hung notifier) had not finished.
    assert [s for s in bridge.sent if s[1] == "stuck"] == []
    wait_for(lambda: len(logged(log)) == 2, what="both events in notify-log")
    bridge.close()
    assert [e["event"] for e in logged(log)] == ["attempt_failed", "recovered"]
    assert ("attempt_failed", "stuck", False) in bridge.sent and ("success", "stuck", False) in bridge.sent
    assert logged(log)[0]["agent"] == tmp_path.name and "web exited with code 1" in logged(log)[0]["message"]


def test_bridge_skips_a_misconfigured_notifier(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("DOTAGENT_PLUGIN_PATH", str(EXAMPLES))
    bridge = NotifierBridge([{"plugin": "notify-log", "config": {"path": 3}, "events": []}], tmp_path)
    bridge({"service": None, "event": "up_done"})
    bridge.close()
    assert bridge.sent == []
    assert "$.path: 3 is not of type 'string'" in caplog.text


def test_killed_service_notifies_attempt_failed_then_recovered(tmp_path):
    (tmp_path / "plan.json").write_text(
        json.dumps(
            {
                "services": [
                    {
                        "name": "worker",
                        "command": ["{python}", "@sleeper.py"],
                        "restart": "always",
                        "max_restarts": 5,
                    },
                ]
            }
        )
    )
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: sup\n    path: {sys.executable}\n"
        f"    args: [{json.dumps(str(SUP_PLAN))}, plan.json]\n"
        "notifiers:\n  - plugin: notify-log\n    config: {path: notify.log}\n"
        "    events: [attempt_failed, recovered, given_up]\n"
    )
    env = {"DOTAGENT_PLUGIN_PATH": str(EXAMPLES)}
    log = tmp_path / "notify.log"
    try:
        res = run_cli("-C", str(tmp_path), "up", env=env, timeout=90)
        assert res.returncode == 0, res.stderr
        status = json.loads(run_cli("-C", str(tmp_path), "status", "--json").stdout)
        pid = next(s for s in status["services"] if s["name"] == "worker")["pid"]
        os.kill(pid, signal.SIGKILL)  # from outside, as a crash
        wait_for(
            lambda: [e["event"] for e in logged(log)] == ["attempt_failed", "recovered"],
            what="attempt_failed then recovered in notify-log",
        )
        first = logged(log)[0]
        assert first["kind"] == "notify" and "worker was killed by SIGKILL" in first["message"]
    finally:
        down = run_cli("-C", str(tmp_path), "down", env=env)
    assert down.returncode == 0, down.stderr
    assert [e["event"] for e in logged(log)] == ["attempt_failed", "recovered"]  # `down` pages nobody
