"""The action results as a person reads them (pure)."""

from __future__ import annotations

from devctl.tui.actions import progress_text, steer_summary


def test_up_progress_events_as_lines():
    assert progress_text({"event": "phase_start", "phase": "build.run"}) == "build.run…"
    assert progress_text({"event": "phase_end", "phase": "build.run", "ok": True}) is None
    failed = {"event": "phase_end", "phase": "validate.run", "ok": False}
    assert progress_text(failed) == "validate.run failed"
    step = {"event": "step", "phase": "build.run", "plugin": "app", "name": "compile", "ok": False,
            "error": {"message": "no compiler"}}
    assert progress_text(step) == "build.run: app: step compile FAILED: no compiler"
    assert progress_text({"event": "step", "phase": "p", "plugin": "a", "name": "s", "ok": True,
                          "skipped": True, "message": "cached"}) == "p: a: step s skipped: cached"
    assert progress_text({"event": "service", "service": "web", "text": "starting → healthy in 0.4 s"}) \
        == "web: starting → healthy in 0.4 s"
    assert progress_text({"event": "ready", "services": ["a", "b"], "duration_ms": 1234}) \
        == "2 service(s) ready in 1.2 s"
    assert progress_text({"event": "failed", "service": "db", "message": "exited with code 3"}) \
        == "up failed: db exited with code 3"
    assert progress_text({"event": "something new"}) is None


def test_steer_summary():
    ok, line = steer_summary("stop", [{"name": "web", "state": "stopped"}], 0.0)
    assert ok and line == "stop web: stopped"
    ok, line = steer_summary("start", [{"name": "db", "state": "failed", "error": "exited with code 1"}], 0.0)
    assert not ok and line == "start db: failed: exited with code 1"


def test_restart_all_is_one_line_naming_only_what_failed():
    records = [{"name": f"s{i}", "state": "healthy"} for i in range(9)]
    records.append({"name": "db", "state": "failed", "error": "exited with code 1"})
    ok, line = steer_summary("restart", records, 0.0)
    assert not ok and line == "restart 10 services: 9 up; db: failed: exited with code 1"
    assert steer_summary("restart", [], 0.0) == (True, "restart: nothing to do")
