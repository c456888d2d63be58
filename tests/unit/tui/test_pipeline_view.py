"""The pipeline view: the record of the last run (`.devctl/pipeline.json`) as a tree."""

from __future__ import annotations

from typing import Any

from devctl.errors import OperationFailed
from devctl.pipeline import PHASES, PipelineResult
from devctl.pipeline.record import build_record, write_record
from devctl.tui.context import TuiContext
from devctl.tui.pipeline_view import PipelineView, headline, outline, step_line
from tests.unit.tui.host import drive, until

EVENTS = [
    {"event": "phase_start", "phase": "config.mutate"},
    {"event": "plugin_end", "phase": "config.mutate", "plugin": "app", "duration_ms": 20},
    {"event": "phase_end", "phase": "config.mutate", "ok": True, "duration_ms": 21},
    {"event": "phase_start", "phase": "build.run"},
    {"event": "step", "phase": "build.run", "plugin": "app", "name": "compile", "ok": True,
     "duration_ms": 3020, "message": "compiled 12 files"},
    {"event": "step", "phase": "build.run", "plugin": "app", "name": "assets", "ok": False,
     "error": "npm exited 1"},
    {"event": "phase_end", "phase": "build.run", "ok": False, "duration_ms": 3040},
]


def failed_record(**kw: Any) -> dict[str, Any]:
    error = OperationFailed("build.run: step 'assets' of plugin 'app' failed",
                            details=["assets: npm exited 1"])
    return build_record(command="up", phases=PHASES, events=EVENTS, specs=[], clients=[],
                        result=PipelineResult(notes=["step 'x' planned twice"]), error=error,
                        started=1000.0, duration_ms=3100, **kw)


def invalid_record() -> dict[str, Any]:
    result = PipelineResult(valid=False, errors=[{"plugin": "db", "code": "E_PORT", "message": "5432 taken",
                                                  "suggest": "stop the other postgres"}],
                            warnings=[{"plugin": "app", "code": "", "message": "node 16 is old"}])
    return build_record(command="up", phases=("config.mutate", "validate.run", "launch.plan"), events=[],
                        specs=[], clients=[], result=result, error=None, started=1000.0, duration_ms=50)


def labels(nodes) -> list[str]:
    return [n.label for n in nodes]


def test_outline_of_a_failed_step_opens_its_phase_and_shows_the_failure():
    nodes = outline(failed_record())
    assert labels(nodes)[:2] == ["✓ config.mutate  0.02 s", "✗ build.run  3.04 s"]
    build = nodes[1]
    assert build.expand and build.style == "red"
    assert labels(build.children) == ["✓ step compile (app) 3.02 s: compiled 12 files",
                                      "✗ step assets (app): npm exited 1"]
    assert labels(nodes)[2:5] == ["– prepare.run  — the run stopped before it",
                                  "– validate.run  — the run stopped before it",
                                  "– launch.plan  — the run stopped before it"]
    failure = nodes[5]
    assert failure.label == "failure: build.run: step 'assets' of plugin 'app' failed"
    assert labels(failure.children) == ["assets: npm exited 1"]
    assert labels(nodes[6].children) == ["step 'x' planned twice"]
    assert not nodes[0].expand and labels(nodes[0].children) == ["plugin app answered in 0.02 s"]


def test_outline_groups_validation_findings_by_plugin():
    nodes = outline(invalid_record())
    assert labels(nodes)[1] == "↷ build.run  — skipped (--skip-build)"
    validation = next(n for n in nodes if n.label.startswith("validation"))
    assert validation.label == "validation: INVALID, 1 error(s), 1 warning(s)"
    assert labels(validation.children) == ["plugin db", "plugin app"]
    assert labels(validation.children[0].children) == [
        "error: [E_PORT] 5432 taken (fix: stop the other postgres)"]
    assert labels(validation.children[1].children) == ["warning: node 16 is old"]
    assert "validation failed" in next(n.label for n in nodes if "launch.plan" in n.label)


def test_headline_and_step_lines():
    assert headline(None)[0].startswith("No pipeline run recorded yet")
    text, style = headline(failed_record(), now=1030.0)
    assert text.startswith("devctl up: FAILED in 3.10 s, ") and text.endswith("(30 s ago)") and style == "red"
    assert step_line({"name": "initdb", "plugin": "db", "ok": True, "skipped": True})[0] == \
        "↷ step initdb (db): skipped"


def test_view_shows_the_record_and_follows_a_new_one(tmp_path):
    view = PipelineView(TuiContext(root=tmp_path, config_file=None))

    async def scenario(pilot, view):
        await until(pilot, lambda: view.loads >= 1, "the first read")
        assert "No pipeline run recorded yet" in str(view.query_one("#pipeline-head").render())
        write_record(tmp_path, failed_record())
        await until(pilot, lambda: view.record is not None, "the new record (noticed by its stat)")
        tree = view.query_one("Tree")
        top = tree.root.children
        assert [str(n.label) for n in top][:2] == ["✓ config.mutate  0.02 s", "✗ build.run  3.04 s"]
        assert top[1].is_expanded and not top[0].is_expanded
        await pilot.press("e")
        assert top[0].is_expanded
        await pilot.press("c")
        assert not top[1].is_expanded
        write_record(tmp_path, invalid_record())
        await pilot.press("r")
        await until(pilot, lambda: view.record is not None and view.record["duration_ms"] == 50, "reload")
        assert "validation: INVALID" in " ".join(str(n.label) for n in tree.root.children)

    drive(view, scenario, size=(80, 24))
