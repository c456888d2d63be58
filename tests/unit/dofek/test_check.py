"""`check` findings from a recorded run (pure): each problem maps to one finding with a fix."""

from __future__ import annotations

from devctl.dofek import frames
from devctl.dofek.check import Record, findings


def codes(rec: Record) -> list[str]:
    return [f.code for f in findings(rec)]


def test_clean_run_has_no_findings() -> None:
    rec = Record(timeout_ms=2000, polls=3, shutdown_clean=True)
    for _ in range(3):
        rec.observe("reply", ms=5.0)
        rec.observe(
            "validated",
            result=frames.validate({"manifest": {"name": "x"}}),
            first=rec.replies == 0,
            raw={"manifest": {"name": "x"}},
        )
    assert findings(rec) == []


def test_each_observation_becomes_a_finding_errors_first() -> None:
    rec = Record(timeout_ms=1000, polls=3, shutdown_clean=False)
    rec.observe("reply", ms=700.0)
    bad = {
        "metrics": [{"id": "plain", "value": 1}],
        "process_annotations": [{"pid": 1, "category": "robot"}],
    }
    rec.observe("validated", result=frames.validate(bad), first=True, raw=bad)
    rec.observe("extra_line", line="debug")
    rec.observe("dropped_pids", pids=[424242])
    found = findings(rec)
    assert [f.code for f in found] == [
        "extra-stdout",
        "ignores-shutdown",
        "slow-reply",
        "no-manifest",
        "unknown-enum",
        "metric-namespace",
        "unknown-pid",
    ]
    assert all(f.fix for f in found)
    enum = next(f for f in found if f.code == "unknown-enum")
    assert "ai, dev, watch" in enum.fix


def test_cannot_start_is_reported_as_such() -> None:
    rec = Record(timeout_ms=2000)
    rec.observe("exit", reason="cannot start 'nope': No such file or directory")
    assert codes(rec) == ["cannot-start"]
