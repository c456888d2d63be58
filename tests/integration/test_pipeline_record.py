"""`devctl plan` and `devctl up` leave the record of their pipeline run in `.devctl/pipeline.json`.

Real CLI, real fixture plugins; none of these runs starts a service (each `up` fails in its
pipeline), so the orphan check proves the plugins were stopped too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli import ok, run_cli
from tests.integration.test_pipeline_cli import entry, make_repo


def record(root: Path) -> dict[str, Any]:
    return json.loads((root / ".devctl" / "pipeline.json").read_text())


def phases(rec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["phase"]: p for p in rec["phases"]}


def test_plan_records_its_phases_services_and_plugin_handshakes(tmp_path):
    make_repo(tmp_path, entry("ok", "pipe_ok.py"), entry("cmd", "cmd_echo.py"))
    ok(run_cli("plan", "--json", cwd=tmp_path))
    rec = record(tmp_path)
    assert rec["command"] == "plan" and rec["ok"] is True and rec["failure"] is None
    by = phases(rec)
    assert by["config.mutate"]["status"] == "ok" and by["launch.plan"]["status"] == "ok"
    assert [p["plugin"] for p in by["config.mutate"]["plugins"]] == ["cmd", "ok"]  # (priority, id)
    assert isinstance(by["launch.plan"]["duration_ms"], int)
    assert by["build.run"]["status"] == "skipped" and by["build.run"]["reason"] == "not part of `devctl plan`"
    assert [s["name"] for s in rec["services"]] == ["web", "worker"]
    plugins = {p["id"]: p for p in rec["plugins"]}
    assert plugins["ok"]["ops"] == sorted(["config.mutate", "build.run", "prepare.run", "validate.run",
                                           "launch.plan"])
    assert plugins["ok"]["handshake"]["plugin_name"] == "pipe-ok"
    assert "pipe-ok: config.mutate (dry_run=False)" in plugins["ok"]["stderr"]  # drained before closing
    assert plugins["cmd"]["commands"] and plugins["cmd"]["started"] is True
    # The record is private (it names paths and plugin output) and replaced, never appended to.
    assert (tmp_path / ".devctl" / "pipeline.json").stat().st_mode & 0o077 == 0
    assert not list((tmp_path / ".devctl").glob("*.tmp"))


def test_failed_ups_record_findings_by_plugin_and_the_failure(tmp_path):
    # Validation says no: up exits 1, starts nothing, and the record says why, plugin by plugin.
    make_repo(tmp_path, entry("ok", "pipe_ok.py"), entry("vf", "pipe_validate_fail.py"))
    res = run_cli("up", cwd=tmp_path)
    assert res.returncode == 1 and "validation failed" in res.stderr
    rec = record(tmp_path)
    assert rec["command"] == "up" and rec["ok"] is False
    groups = {g["plugin"]: g for g in rec["validation"]["by_plugin"]}
    assert groups["vf"]["errors"] == [{"code": "E_MISSING_TOOL", "message": "missing tools: pnpm, docker"}]
    assert groups["vf"]["warnings"] == [{"code": "W_OLD_NODE", "message": "node 16 is old"}]
    assert groups["ok"]["warnings"] == [{"code": "W_SLOW_DISK", "message": "disk is slow"}]
    by = phases(rec)
    assert [s["name"] for s in by["build.run"]["steps"]] == ["compile", "assets"]
    assert by["validate.run"]["status"] == "ok" and by["launch.plan"]["status"] == "not_run"

    # A failed step: the next `up` replaces the record with its own failure, details and stderr.
    make_repo(tmp_path, entry("sf", "pipe_step_fail.py"))
    res = run_cli("up", "--skip-validate", cwd=tmp_path)
    assert res.returncode == 1
    rec = record(tmp_path)
    assert rec["ok"] is False and rec["failure"]["kind"] == "OperationFailed"
    assert "step 'compile' of plugin 'sf' failed" in rec["failure"]["message"]
    assert "compile: cc exited with status 1" in rec["failure"]["details"]
    by = phases(rec)
    assert by["build.run"]["status"] == "failed"
    steps = [(s["name"], s["ok"]) for s in by["build.run"]["steps"]]
    assert steps == [("codegen", True), ("compile", False)]
    skipped = by["validate.run"]
    assert (skipped["status"], skipped["reason"]) == ("skipped", "skipped (--skip-validate)")
    assert by["launch.plan"]["status"] == "not_run"
    assert [p["id"] for p in rec["plugins"]] == ["sf"]
    assert rec["plugins"][0]["stderr"] == ["pipe-step-fail: compiling... cc exited 1"]


def test_build_and_validate_leave_the_record_of_the_last_up_alone(tmp_path):
    make_repo(tmp_path, entry("ok", "pipe_ok.py"))
    ok(run_cli("plan", cwd=tmp_path))
    before = (tmp_path / ".devctl" / "pipeline.json").read_text()
    ok(run_cli("build", cwd=tmp_path))
    ok(run_cli("validate", cwd=tmp_path))
    assert (tmp_path / ".devctl" / "pipeline.json").read_text() == before


def test_a_plugin_that_cannot_start_is_recorded_with_its_error_and_stderr(tmp_path):
    make_repo(tmp_path, entry("ok", "pipe_ok.py"), entry("dead", "host_crash.py", "--before-handshake"))
    res = run_cli("plan", cwd=tmp_path)
    assert res.returncode != 0
    rec = record(tmp_path)
    assert rec["ok"] is False and rec["failure"]["plugin"] == "dead" and rec["failure"]["code"]
    plugins = {p["id"]: p for p in rec["plugins"]}
    assert plugins["dead"]["started"] is False
    assert plugins["dead"]["stderr"] == ["fatal: cannot read my config"]
    ran = {p["status"] for p in rec["phases"] if p["phase"] in ("config.mutate", "launch.plan")}
    assert ran == {"not_run"}
