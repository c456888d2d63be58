"""How supervisor data reads: status rows, durations, health, progress and dry-run lines."""

import pytest

from devctl.supervisor.render import (
    duration,
    health_text,
    plan_lines,
    progress_line,
    status_rows,
)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "-"), (0.4, "0.4 s"), (9.96, "10.0 s"), (12, "12 s"), (184, "3m04s"), (7500, "2h05m"),
     (3 * 86400 + 4 * 3600 + 5, "3d04h")],
)
def test_duration(seconds, text):
    assert duration(seconds) == text


def test_health_text():
    assert health_text({}) == "-"
    assert health_text({"state": "starting", "health": {"type": "http", "ok": None}}) == "http: pending"
    assert health_text({"state": "healthy", "health": {"type": "tcp", "ok": True}}) == "tcp: ok"
    failing = {"type": "http", "ok": False, "error": "503"}
    assert health_text({"state": "unhealthy", "health": failing}) == "http: 503"
    assert health_text({"state": "unhealthy", "health": {"type": "http", "ok": False}}) == "http: failing"


def test_a_service_without_a_process_shows_no_health():
    """Regression: a stopped service showed its last probe (`tcp: ok`)."""
    for state in ("stopped", "exited", "failed", "backoff", "waiting"):
        assert health_text({"state": state, "health": {"type": "tcp", "ok": True}}) == "-", state


SNAPSHOT = {
    "repo_root": "/repo",
    "services": [
        {"name": "db", "state": "healthy", "pid": 41, "uptime_s": 184, "restarts": 0,
         "health": {"type": "tcp", "ok": True}, "logs": {"stdout": "/repo/.devctl/logs/db.stdout.log"}},
        {"name": "web", "state": "failed", "error": "exited with code 1", "pid": 42, "uptime_s": None,
         "restarts": 3, "logs": {"stdout": "/elsewhere/web.stdout.log"}},
        {"name": "job", "state": "waiting", "depends_on": ["db"]},
    ],
}


def test_status_rows():
    assert status_rows(SNAPSHOT, "/repo/") == [
        ("db", "healthy", "41", "3m04s", "0", "tcp: ok", ".devctl/logs/db.stdout.log"),
        ("web", "failed (exited with code 1)", "-", "-", "3", "-", "/elsewhere/web.stdout.log"),
        ("job", "waiting", "-", "-", "0", "-", ""),
    ]


def test_progress_line():
    assert progress_line({"state": "healthy", "ready_at": 10.4}, 10.0) == "starting → healthy in 0.4 s"
    assert progress_line({"state": "waiting", "depends_on": ["db", "cache"]}, 0) == "waiting for db, cache"
    assert progress_line({"state": "waiting"}, 0) == "waiting"
    assert progress_line({"state": "backoff", "error": "exited 1"}, 0) == "restarting (exited 1)"
    assert progress_line({"state": "failed", "error": "port taken"}, 0) == "failed: port taken"
    assert progress_line({"state": "starting"}, 0) == "starting"


def test_plan_lines_redact_secrets():
    svc = {"name": "web", "plugin": "node", "command": ["npm", "run", "dev"], "cwd": "/repo/web",
           "env": {"PORT": "3000", "API_TOKEN": "s3cret", "GREETING": "hi there"}, "depends_on": ["db"],
           "health": {"type": "http", "url": "http://localhost:3000/", "timeout_ms": 30000},
           "restart": "on-failure", "max_restarts": 5, "stop_signal": "SIGTERM", "stop_timeout_ms": 5000}
    assert plan_lines([svc]) == [
        "web  (from node)",
        "  command: npm run dev",
        "  cwd: /repo/web",
        "  env: API_TOKEN=*** GREETING='hi there' PORT=3000",
        "  depends_on: db",
        "  health: http http://localhost:3000/ (ready within 30 s)",
        "  restart: on-failure (max 5), stop: SIGTERM then SIGKILL after 5 s",
    ]


def test_plan_lines_name_the_user_a_service_runs_as():
    svc = {"name": "db", "plugin": ".devctl.yaml", "command": ["postgres"], "cwd": "/repo", "env": {},
           "depends_on": [], "health": None, "restart": "no", "max_restarts": 0, "stop_signal": "SIGINT",
           "stop_timeout_ms": 1000, "user": "postgres"}
    assert plan_lines([svc])[:4] == ["db  (from .devctl.yaml)", "  command: postgres", "  cwd: /repo",
                                     "  user: postgres"]
    assert "  user: None" not in plan_lines([{**svc, "user": None}])
