"""The runner's per-op handlers: pure, output dicts in, merged state out (no processes)."""

from pathlib import Path

import pytest

from devctl.config import Config
from devctl.errors import OperationFailed, PluginError
from devctl.pipeline import PipelineOptions
from devctl.pipeline.runner import _Run


def new_run(strict: bool = False) -> _Run:
    cfg = Config(path=None, repo_root=Path("/repo"), plugins=[], all_plugins=[])
    return _Run(cfg, PipelineOptions(strict=strict))


def test_validation_is_the_and_and_keeps_plugin_ids():
    run = new_run()
    run.validate_run("a", {"valid": True, "warnings": [{"code": "W1", "message": "w", "suggest": "x"}]})
    run.validate_run("b", {"valid": False, "errors": ["plain text error"]})
    run.validate_run("c", {"errors": [{"code": "E1", "message": "no valid key"}]})  # valid = no errors
    result = run.result()
    assert result.valid is False
    assert result.errors == [
        {"plugin": "b", "code": "", "message": "plain text error"},
        {"plugin": "c", "code": "E1", "message": "no valid key"},
    ]
    assert result.warnings == [{"plugin": "a", "code": "W1", "message": "w", "suggest": "x"}]


def test_validation_rejects_a_non_boolean_valid():
    with pytest.raises(PluginError, match="'valid' must be true or false"):
        new_run().validate_run("a", {"valid": "yes"})


def test_steps_merge_per_phase_and_report_failures():
    run = new_run()
    assert run.steps_run("a", {"steps": [{"name": "deps"}], "artifacts": {"k": 1}}, "build.run") == []
    failed = run.steps_run("a", {"steps": [{"name": "deps", "ok": False}]}, "prepare.run")
    assert [s["name"] for s in failed] == ["deps"]
    result = run.result()
    assert [(s["phase"], s["ok"]) for s in result.steps] == [("build.run", True), ("prepare.run", False)]
    assert result.notes == []  # same name in two phases is not a collision


@pytest.mark.parametrize(
    "output, fragment",
    [
        ({"steps": {"name": "x"}}, "'steps' must be a list"),
        ({"steps": [{"ok": True}]}, "must be an object with a 'name'"),
        ({"steps": [{"name": "x", "ok": "yes"}]}, "'ok' must be true or false"),
        ({"artifacts": ["x"]}, "'artifacts' must be an object"),
    ],
)
def test_bad_step_outputs_name_the_plugin(output, fragment):
    with pytest.raises(PluginError) as info:
        new_run().steps_run("builder", output, "build.run")
    assert fragment in info.value.message and "'builder'" in info.value.message


def test_services_merge_by_name_strict_and_not():
    run = new_run()
    run.launch_plan("a", {"services": [{"name": "web", "command": ["a"]}]})
    run.launch_plan("b", {"services": [{"name": "web", "command": ["b"]}]})
    assert [s["command"] for s in run.result().services] == [["b"]]
    strict = new_run(strict=True)
    strict.launch_plan("a", {"services": [{"name": "web", "command": ["a"]}]})
    with pytest.raises(OperationFailed, match="service 'web' is returned by plugin 'a' and plugin 'b'"):
        strict.launch_plan("b", {"services": [{"name": "web", "command": ["b"]}]})
