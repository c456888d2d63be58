"""The real CLI (`python -m devctl`) against temp repos wired to the pipe_* fixture plugins.

Every test also passes the autouse orphan check: no plugin may outlive the command.
"""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.cli import ok, run_cli

PLUGINS = Path(__file__).resolve().parents[2] / "testdata" / "plugins"


def entry(plugin_id: str, fixture: str, *args: str, priority: int | None = None, extra: str = "") -> str:
    """One `plugins:` item running a fixture through the test's interpreter."""
    argv = json.dumps([str(PLUGINS / fixture), *args])
    text = f"  - id: {plugin_id}\n    path: {sys.executable}\n    args: {argv}\n"
    if priority is not None:
        text += f"    priority: {priority}\n"
    return text + extra


def make_repo(root: Path, *entries: str, head: str = "") -> Path:
    (root / ".devctl.yaml").write_text(head + "plugins:\n" + "".join(entries))
    return root


def test_plan_json_merges_config_and_normalizes_services(tmp_path):
    make_repo(tmp_path, entry("ok", "pipe_ok.py"))
    res = run_cli("plan", "--json", cwd=tmp_path)
    ok(res)
    data = json.loads(res.stdout)
    assert set(data) == {"config", "services"}
    assert data["config"] == {"pipe_ok": {"dry_run": False}, "ports": {"web": 8080}, "env": {"MODE": "dev"}}
    web, worker = data["services"]
    assert web["name"] == "web" and web["plugin"] == "ok"
    assert web["cwd"] == str(tmp_path.resolve() / "app")
    expected = {"type": "http", "url": "http://127.0.0.1:8080/", "timeout_ms": 5000}
    assert web["health"].items() >= expected.items()
    assert worker["depends_on"] == ["web"] and worker["restart"] == "on-failure"
    assert worker["cwd"] == str(tmp_path.resolve())


def test_plan_readable_output_and_dry_run_reaches_plugin(tmp_path):
    make_repo(tmp_path, entry("ok", "pipe_ok.py"))
    res = run_cli("plan", cwd=tmp_path)
    ok(res)
    assert "Services" in res.stdout and "web" in res.stdout and "http http://127.0.0.1:8080/" in res.stdout
    res = run_cli("--dry-run", "plan", "--json", cwd=tmp_path)
    ok(res)
    assert json.loads(res.stdout)["config"]["pipe_ok"]["dry_run"] is True


def test_order_is_priority_then_id_and_each_plugin_sees_current_config(tmp_path):
    log = tmp_path / "calls.log"
    make_repo(
        tmp_path,
        entry("c", "pipe_order.py", "c", str(log)),
        entry("a", "pipe_order.py", "a", str(log), priority=5),
        entry("b", "pipe_order.py", "b", str(log)),
        entry("v", "pipe_validate_fail.py", priority=-1),
    )
    res = run_cli("plan", "--json", cwd=tmp_path)
    ok(res)
    data = json.loads(res.stdout)
    assert data["config"] == {"order": ["b", "c", "a"]}
    assert [s["name"] for s in data["services"]] == ["svc-b", "svc-c", "svc-a"]
    assert log.read_text().splitlines() == [
        "b config.mutate", "c config.mutate", "a config.mutate",
        "b launch.plan", "c launch.plan", "a launch.plan",
    ]  # no build/validate on `plan`, and the validate-only plugin got nothing it did not declare


def test_patch_through_non_object_names_plugin_and_path(tmp_path):
    make_repo(tmp_path, entry("patcher", "pipe_patch_through.py"))
    res = run_cli("plan", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert "plugin 'patcher'" in res.stderr and "'db.port'" in res.stderr and "not an object" in res.stderr


def test_collisions_last_wins_with_warning(tmp_path):
    make_repo(tmp_path, entry("a", "pipe_collide_a.py"), entry("b", "pipe_collide_b.py", priority=1))
    res = run_cli("plan", "--json", cwd=tmp_path)
    ok(res)
    services = json.loads(res.stdout)["services"]
    assert [(s["name"], s["command"], s["plugin"]) for s in services] == [
        ("web", ["echo", "from-b"], "b"),
        ("only-a", ["true"], "a"),
    ]
    assert "service 'web' is returned by plugin 'a' and plugin 'b'" in res.stderr
    res = run_cli("build", "--json", cwd=tmp_path)
    ok(res)
    data = json.loads(res.stdout)
    assert [(s["name"], s["by"]) for s in data["steps"]] == [("compile", "b")]
    assert data["artifacts"] == {"bin": "b/bin"}
    assert "step 'compile'" in res.stderr


@pytest.mark.parametrize("how", ["flag", "config"])
def test_strict_collision_is_an_error_naming_both(tmp_path, how):
    head = "strictness: error\n" if how == "config" else ""
    make_repo(tmp_path, entry("a", "pipe_collide_a.py"), entry("b", "pipe_collide_b.py", priority=1),
              head=head)
    args = ["--strict"] if how == "flag" else []
    res = run_cli(*args, "plan", "--json", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert res.stdout == ""
    assert "service 'web' is returned by plugin 'a' and plugin 'b'" in res.stderr
    assert "strict" in res.stderr


def test_validate_failure_exits_1_with_plugin_ids(tmp_path):
    make_repo(tmp_path, entry("ok", "pipe_ok.py"), entry("vf", "pipe_validate_fail.py"))
    res = run_cli("validate", "--json", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    data = json.loads(res.stdout)
    assert data == {
        "valid": False,
        "errors": [{"plugin": "vf", "code": "E_MISSING_TOOL", "message": "missing tools: pnpm, docker"}],
        "warnings": [
            {"plugin": "ok", "code": "W_SLOW_DISK", "message": "disk is slow"},
            {"plugin": "vf", "code": "W_OLD_NODE", "message": "node 16 is old"},
        ],
    }
    res = run_cli("validate", cwd=tmp_path)
    assert res.returncode == 1
    assert "E_MISSING_TOOL" in res.stdout and "invalid" in res.stdout


def test_validate_ok_exits_0(tmp_path):
    make_repo(tmp_path, entry("ok", "pipe_ok.py"))
    res = run_cli("validate", cwd=tmp_path)
    ok(res)
    assert "valid" in res.stdout and "W_SLOW_DISK" in res.stdout


def test_build_and_prepare_steps_artifacts_and_step_filter(tmp_path):
    make_repo(tmp_path, entry("ok", "pipe_ok.py"))
    res = run_cli("build", "--json", cwd=tmp_path)
    ok(res)
    data = json.loads(res.stdout)
    assert set(data) == {"steps", "artifacts"}
    assert [s["name"] for s in data["steps"]] == ["compile", "assets"]
    assert all(s["plugin"] == "ok" and s["ok"] for s in data["steps"])
    assert data["artifacts"] == {"compile-out": "out/compile"}
    res = run_cli("--dry-run", "build", "--step", "assets", "--step", "nope", "--json", cwd=tmp_path)
    ok(res)
    steps = json.loads(res.stdout)["steps"]
    assert [(s["name"], s["dry_run"]) for s in steps] == [("assets", True)]
    assert "'nope'" not in res.stdout and "nope" in res.stderr  # a note: no plugin reported it
    res = run_cli("prepare", cwd=tmp_path)
    ok(res)
    assert "migrate" in res.stdout and "Steps" in res.stdout


def test_failed_step_fails_the_phase(tmp_path):
    make_repo(tmp_path, entry("sf", "pipe_step_fail.py"))
    res = run_cli("build", "--json", cwd=tmp_path)
    assert res.returncode == 1
    assert [s["name"] for s in json.loads(res.stdout)["steps"]] == ["codegen", "compile"]
    assert "step 'compile' of plugin 'sf' failed" in res.stderr
    assert "cc exited with status 1" in res.stderr
    assert "sf | pipe-step-fail: compiling... cc exited 1" in res.stderr  # its stderr tail


def test_bad_service_shape_is_exit_2_naming_plugin_and_service(tmp_path):
    make_repo(tmp_path, entry("bs", "pipe_bad_service.py"))
    res = run_cli("plan", cwd=tmp_path)
    assert res.returncode == 2
    assert "plugin 'bs': service 'api': 'command' must be a non-empty list" in res.stderr


def test_bad_yaml_and_wrong_types_name_file_and_line(tmp_path):
    (tmp_path / ".devctl.yaml").write_text("plugins:\n  - id: a\n    path: sh\n    priority: high\n")
    res = run_cli("plan", cwd=tmp_path)
    assert res.returncode == 2
    assert ".devctl.yaml:4: plugins[0].priority: expected an integer, got 'high'" in res.stderr
    (tmp_path / ".devctl.yaml").write_text("plugins:\n  - id: a\n    path: [sh\n")
    res = run_cli("validate", cwd=tmp_path)
    assert res.returncode == 2
    assert ".devctl.yaml:4: invalid YAML" in res.stderr


def test_missing_plugin_binary_is_a_config_error(tmp_path):
    (tmp_path / ".devctl.yaml").write_text("plugins:\n  - id: gone\n    path: ./bin/devctl-gone\n")
    res = run_cli("plugins", "list", cwd=tmp_path)
    assert res.returncode == 2
    assert ".devctl.yaml:3: plugins[0].path: './bin/devctl-gone' does not exist" in res.stderr


def test_no_config_says_where_it_looked(tmp_path):
    res = run_cli("plan", cwd=tmp_path)
    assert res.returncode == 2
    assert "no .devctl.yaml found" in res.stderr and str(tmp_path / ".devctl.yaml") in res.stderr


def test_repo_root_and_config_options(tmp_path):
    repo = tmp_path / "repo"
    (repo / "conf").mkdir(parents=True)
    (repo / "conf" / "alt.yaml").write_text("plugins:\n" + entry("ok", "pipe_ok.py"))
    res = run_cli("-C", str(repo), "--config", "conf/alt.yaml", "plan", "--json", cwd=tmp_path)
    ok(res)
    assert json.loads(res.stdout)["services"][0]["cwd"] == str(repo.resolve() / "app")


def test_verbose_shows_plugin_stderr_prefixed(tmp_path):
    make_repo(tmp_path, entry("ok", "pipe_ok.py"))
    quiet = run_cli("plan", "--json", cwd=tmp_path)
    ok(quiet)
    assert "pipe-ok: config.mutate" not in quiet.stderr
    loud = run_cli("-v", "plan", "--json", cwd=tmp_path)
    ok(loud)
    assert "ok | pipe-ok: config.mutate (dry_run=False)" in loud.stderr


def test_phase_timeout_is_one_deadline_across_plugins(tmp_path):
    make_repo(tmp_path, entry("s1", "pipe_slow.py", "1.2"), entry("s2", "pipe_slow.py", "1.2"))
    res = run_cli("--timeout", "2", "validate", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert "plugin 's2'" in res.stderr and "plugin 's1'" not in res.stderr


def test_plugins_list_json_and_a_failing_plugin(tmp_path):
    (tmp_path / "plugins").mkdir()
    wrapper = tmp_path / "plugins" / "devctl-extra"
    wrapper.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{PLUGINS / 'pipe_validate_fail.py'}'\n")
    wrapper.chmod(0o755)
    broken = f"  - id: broken\n    path: {sys.executable}\n    args: ['-c', 'print(\"hello, banner\")']\n"
    # Run directly: the fixture is executable with a `#!/usr/bin/env python3` line.
    shebang = f"  - id: shebang\n    path: {PLUGINS / 'pipe_order.py'}\n    args: [x, {tmp_path / 'o.log'}]\n"
    make_repo(tmp_path, entry("ok", "pipe_ok.py", priority=3), broken, shebang)
    res = run_cli("plugins", "list", "--json", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    plugins = {p["id"]: p for p in json.loads(res.stdout)["plugins"]}
    assert list(plugins) == ["broken", "shebang", "ok", "extra"]
    good = plugins["ok"]
    assert good["name"] == "pipe-ok" and good["protocol"] == "v1" and good["priority"] == 3
    assert good["ops"] == sorted(["config.mutate", "build.run", "prepare.run", "validate.run", "launch.plan"])
    assert good["streams"] == [] and good["commands"] == [] and good["error"] is None
    assert good["source"] == "config" and good["path"] == sys.executable
    assert plugins["shebang"]["name"] == "order-x"
    assert plugins["shebang"]["path"] == str(PLUGINS / "pipe_order.py")
    assert plugins["extra"]["source"] == "discovered" and plugins["extra"]["priority"] == 1000
    assert plugins["extra"]["ops"] == ["validate.run"]
    assert "hello, banner" in plugins["broken"]["error"] and plugins["broken"]["name"] is None
    res = run_cli("plugins", "list", cwd=tmp_path)
    assert res.returncode == 1
    assert "pipe-ok" in res.stdout and "hello, banner" in res.stderr


def test_ctrl_c_closes_the_plugins(tmp_path):
    make_repo(tmp_path, entry("slow", "pipe_slow.py", "60"))
    proc = subprocess.Popen([sys.executable, "-m", "devctl", "validate"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Wait until validate.run was sent (the piped progress says so). The plugin process
        # alone proves little: it is started while devctl still imports its plugin host.
        assert proc.stderr is not None
        seen = []
        for line in itertools.islice(proc.stderr, 50):  # a few progress lines; pytest-timeout bounds it
            seen.append(line)
            if "validate.run: plugin slow started" in line:
                break
        else:
            pytest.fail(f"validate.run was never sent: {seen}")
        kids = psutil.Process(proc.pid).children(recursive=True)
        assert any("pipe_slow.py" in " ".join(k.cmdline()) for k in kids)
        time.sleep(0.1)  # the request is on its way
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    # the autouse orphan check proves the plugin (in its own process group) is gone


def test_preflight_failures_become_validation_errors(tmp_path):
    (tmp_path / ".devctl.yaml").write_text("preflight:\n  - plugin: no-such-preflight-xyz\n    config: {}\n")
    res = run_cli("validate", "--json", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    data = json.loads(res.stdout)
    assert data["valid"] is False
    found = [(e["plugin"], e["code"]) for e in data["errors"]]
    assert found == [("dotagent:no-such-preflight-xyz", "E_PREFLIGHT")]


def test_up_stops_after_failed_validation_and_shows_its_errors(tmp_path):
    """Regression (issue 13): `up` sent launch.plan after validate.run said valid:false; a
    malformed plan then exited 2 with the plan error and the validation errors were never shown."""
    record = tmp_path / "called.log"
    make_repo(tmp_path, entry("vp", "pipe_validate_then_bad_plan.py", str(record)))
    res = run_cli("up", cwd=tmp_path)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "validation failed" in res.stderr and "E_NO_DB: database not reachable on :5432" in res.stderr
    assert "vp:" in res.stderr and "services" not in res.stderr and "Traceback" not in res.stderr
    assert not record.exists(), "launch.plan was sent after validation failed"
    assert not (tmp_path / ".devctl" / "state.json").exists()  # nothing was started
    # --skip-validate: no validation, so the plan is asked for (and its error is the one shown).
    res = run_cli("up", "--skip-validate", cwd=tmp_path)
    assert res.returncode == 1 and "'services' must be a list" in res.stderr, res.stderr
    assert record.read_text() == "launch.plan\n"
