"""The record of a pipeline run (`.devctl/pipeline.json`): built from events, clients and a result."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devctl.config import Config, PluginSpec
from devctl.errors import OperationFailed, PluginError
from devctl.pipeline import PHASES, PipelineOptions, PipelineResult
from devctl.pipeline.record import (
    VERSION,
    Recorder,
    build_record,
    group_findings,
    read_record,
    record_path,
    write_record,
)


@dataclass
class FakeClient:
    spec: PluginSpec
    pid: int = 4242
    handshake: dict[str, Any] = field(default_factory=lambda: {"plugin_name": "x"})
    ops: frozenset[str] = frozenset()
    streams: frozenset[str] = frozenset()
    commands: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    def stderr_tail(self, n: int = 20) -> list[str]:
        return self.stderr[-n:]


def spec(plugin_id: str, **kw: Any) -> PluginSpec:
    return PluginSpec(id=plugin_id, path=f"plugins/{plugin_id}.py", **kw)


def build(**kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"command": "up", "phases": PHASES, "events": [], "specs": [], "clients": [],
                            "result": PipelineResult(), "error": None, "started": 1.0, "duration_ms": 5}
    return build_record(**{**args, **kw})


def by_phase(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["phase"]: p for p in record["phases"]}


def test_a_good_run_has_every_phase_with_durations_steps_and_plugin_times():
    builder = FakeClient(spec("b"), ops=frozenset({"build.run", "launch.plan"}), commands=["hello"],
                         streams=frozenset({"logs.tail"}), stderr=[f"line {i}" for i in range(30)])
    events = [
        {"event": "phase_start", "phase": "build.run", "at_ms": 1},
        {"event": "plugin_start", "phase": "build.run", "plugin": "b", "at_ms": 1},
        {"event": "step", "phase": "build.run", "plugin": "b", "name": "deps", "ok": True, "skipped": True,
         "message": "up to date", "at_ms": 2},
        {"event": "plugin_end", "phase": "build.run", "plugin": "b", "duration_ms": 7, "at_ms": 8},
        {"event": "phase_end", "phase": "build.run", "ok": True, "duration_ms": 8, "at_ms": 9},
        {"event": "phase_start", "phase": "launch.plan", "at_ms": 10},
        {"event": "phase_end", "phase": "launch.plan", "ok": True, "duration_ms": 3, "at_ms": 13},
    ]
    result = PipelineResult(services=[{"name": "web", "plugin": "b", "env": {"TOKEN": "s3cret"}}])  # type: ignore[list-item]
    record = build(events=events, specs=[spec("b"), spec("off", enabled=False)], clients=[builder],
                   result=result)
    assert record["version"] == VERSION and record["ok"] is True and record["failure"] is None
    phases = by_phase(record)
    assert [p["phase"] for p in record["phases"]] == list(PHASES)
    assert phases["build.run"]["status"] == "ok" and phases["build.run"]["duration_ms"] == 8
    assert phases["build.run"]["plugins"] == [{"plugin": "b", "duration_ms": 7}]
    assert phases["build.run"]["steps"] == [{"plugin": "b", "name": "deps", "ok": True, "skipped": True,
                                             "message": "up to date"}]
    # Declared by nobody, between phases that ran: it ran, and did nothing.
    assert phases["config.mutate"]["status"] == "empty" and phases["validate.run"]["status"] == "empty"
    assert phases["validate.run"]["reason"] == "no enabled plugin declares it"
    assert record["services"] == [{"name": "web", "plugin": "b"}]
    assert "s3cret" not in json.dumps(record)  # no environments, no config values
    b, off = record["plugins"]
    assert b["started"] and b["pid"] == 4242 and b["commands"] == ["hello"] and b["streams"] == ["logs.tail"]
    assert b["ops"] == ["build.run", "launch.plan"] and b["stderr"] == [f"line {i}" for i in range(10, 30)]
    assert off == {**off, "enabled": False, "started": False, "handshake": None, "stderr": []}


def test_a_plan_of_declared_services_only_says_where_they_come_from():
    result = PipelineResult(services=[{"name": "web", "plugin": ".devctl.yaml"}])  # type: ignore[list-item]
    record = build(result=result, clients=[FakeClient(spec("p"), ops=frozenset({"prepare.run"}))])
    assert by_phase(record)["launch.plan"] == {**by_phase(record)["launch.plan"], "status": "empty",
                                               "reason": "no enabled plugin declares it; the services "
                                                         "come from .devctl.yaml"}


def test_phases_left_out_say_why_for_up_and_for_plan():
    record = build(phases=("config.mutate", "prepare.run", "validate.run", "launch.plan"))
    assert by_phase(record)["build.run"] == {**by_phase(record)["build.run"], "status": "skipped",
                                             "reason": "skipped (--skip-build)"}
    record = build(command="plan", phases=("config.mutate", "launch.plan"))
    assert by_phase(record)["validate.run"]["reason"] == "not part of `devctl plan`"


def test_invalid_validation_groups_findings_by_plugin_and_explains_the_missing_plan():
    result = PipelineResult(valid=False, errors=[
        {"plugin": "a", "code": "E_TOOL", "message": "no pnpm"},
        {"plugin": "b", "code": "E_PORT", "message": "port taken"},
        {"plugin": "a", "code": "E_TOOL", "message": "no docker"},
    ], warnings=[{"plugin": "b", "code": "W_OLD", "message": "old node"}])
    events = [{"event": "phase_start", "phase": "validate.run"},
              {"event": "phase_end", "phase": "validate.run", "ok": True, "duration_ms": 4}]
    client = FakeClient(spec("a"), ops=frozenset({"validate.run"}))
    record = build(events=events, result=result, clients=[client])
    assert record["ok"] is False and record["failure"] is None
    assert record["validation"] == {"valid": False, "by_plugin": [
        {"plugin": "a", "errors": [{"code": "E_TOOL", "message": "no pnpm"},
                                   {"code": "E_TOOL", "message": "no docker"}], "warnings": []},
        {"plugin": "b", "errors": [{"code": "E_PORT", "message": "port taken"}],
         "warnings": [{"code": "W_OLD", "message": "old node"}]},
    ]}
    plan = by_phase(record)["launch.plan"]
    assert plan["status"] == "not_run" and "validation failed" in plan["reason"]


def test_a_failed_step_marks_its_phase_and_the_rest_as_not_run():
    client = FakeClient(spec("sf"), ops=frozenset({"build.run", "prepare.run"}), stderr=["cc exited 1"])
    events = [{"event": "phase_start", "phase": "build.run"},
              {"event": "step", "phase": "build.run", "plugin": "sf", "name": "compile", "ok": False,
               "error": "cc exited with status 1"},
              {"event": "phase_end", "phase": "build.run", "ok": False, "duration_ms": 12}]
    error = OperationFailed("build.run: step 'compile' of plugin 'sf' failed",
                            details=["compile: cc exited with status 1", "sf | cc exited 1"])
    record = build(events=events, clients=[client], specs=[spec("sf")], error=error)
    assert record["ok"] is False
    assert record["failure"] == {"message": "build.run: step 'compile' of plugin 'sf' failed",
                                 "kind": "OperationFailed", "plugin": None, "code": None, "op": None,
                                 "details": ["compile: cc exited with status 1", "sf | cc exited 1"]}
    phases = by_phase(record)
    assert phases["build.run"]["status"] == "failed"
    assert phases["build.run"]["steps"][0]["error"] == "cc exited with status 1"
    assert phases["config.mutate"]["status"] == "empty"  # before the failure, nobody declared it
    assert [phases[p]["status"] for p in ("prepare.run", "validate.run", "launch.plan")] == ["not_run"] * 3
    assert record["plugins"][0]["stderr"] == ["cc exited 1"]


def test_a_plugin_that_never_started_keeps_its_stderr_from_the_failure():
    error = PluginError("bad", "exited with code 3 before sending its handshake", code="E_CRASHED",
                        details=["bad | Traceback (most recent call last):", "bad | ImportError: x", "other"])
    record = build(specs=[spec("bad"), spec("good")], error=error)
    assert record["failure"]["plugin"] == "bad" and record["failure"]["code"] == "E_CRASHED"
    bad, good = record["plugins"]
    assert bad["started"] is False
    assert bad["stderr"] == ["Traceback (most recent call last):", "ImportError: x"]
    assert good["stderr"] == []
    assert {p["status"] for p in record["phases"]} == {"not_run"}


def test_an_interrupt_is_recorded_as_such():
    events = [{"event": "phase_start", "phase": "build.run"}]  # killed mid-phase: no phase_end
    record = build(events=events, error=KeyboardInterrupt())
    assert record["failure"]["message"] == "interrupted" and record["ok"] is False
    assert by_phase(record)["build.run"]["status"] == "running"


def test_group_findings_keeps_first_seen_order():
    groups = group_findings([{"plugin": "z", "message": "1"}], [{"plugin": "a", "message": "2"},
                                                               {"message": "3"}])
    assert [g["plugin"] for g in groups] == ["z", "a", "?"]


def test_write_then_read_round_trips_and_ignores_junk(tmp_path: Path):
    assert read_record(tmp_path) is None
    path = write_record(tmp_path, build())
    assert path == record_path(tmp_path) == tmp_path / ".devctl" / "pipeline.json"
    assert read_record(tmp_path) == json.loads(path.read_text())
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
    path.write_text("{half")
    assert read_record(tmp_path) is None
    path.write_text(json.dumps({**build(), "version": VERSION + 1}))
    assert read_record(tmp_path) is None


def test_recorder_forwards_events_and_reports_a_record_it_cannot_write(tmp_path: Path):
    seen: list[dict[str, Any]] = []
    cfg = Config(path=None, repo_root=tmp_path, plugins=[], all_plugins=[])
    recorder = Recorder(cfg, PipelineOptions(record_as="plan"), seen.append)
    recorder.on_event({"event": "phase_start", "phase": "config.mutate"})
    assert seen == [{"event": "phase_start", "phase": "config.mutate"}]  # unchanged for the display
    assert recorder.finish(PipelineResult(), None) is None
    assert read_record(tmp_path)["command"] == "plan"  # type: ignore[index]
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / ".devctl").write_text("a file where the state directory should be\n")
    note = Recorder(Config(path=None, repo_root=other, plugins=[], all_plugins=[]),
                    PipelineOptions(record_as="up")).finish(PipelineResult(), None)
    assert note is not None and "pipeline.json" in note and "not written" in note
