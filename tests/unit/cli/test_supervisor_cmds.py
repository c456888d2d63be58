"""`devctl status` as a person reads it (cli/supervisor_cmds.py): the table on stdout, problems on stderr."""

import pytest

from devctl.cli import output
from devctl.cli.supervisor_cmds import _render_status


@pytest.fixture
def consoles(monkeypatch, capsys):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    output.out.cache_clear()
    output.err.cache_clear()
    yield capsys
    output.out.cache_clear()
    output.err.cache_clear()


def snapshot(running: bool, services: list) -> dict:
    return {"repo_root": "/repo", "supervisor": {"running": running}, "services": services}


def test_nothing_recorded(consoles):
    _render_status(snapshot(False, []))
    shown = consoles.readouterr()
    assert shown.out == ""
    assert "nothing running (no services recorded for this repo" in shown.err


def test_table_of_services(consoles):
    _render_status(snapshot(True, [
        {"name": "db", "state": "healthy", "pid": 41, "uptime_s": 184, "restarts": 0,
         "health": {"type": "tcp", "ok": True}, "logs": {"stdout": "/repo/.devctl/logs/db.stdout.log"}},
        {"name": "web", "state": "failed", "error": "exited with code 1", "restarts": 3},
    ]))
    shown = consoles.readouterr()
    assert shown.err == ""
    lines = [line.split() for line in shown.out.splitlines()]
    assert lines[0] == ["SERVICE", "STATE", "PID", "UPTIME", "RESTARTS", "HEALTH", "LOG"]
    assert lines[1] == ["db", "healthy", "41", "3m04s", "0", "tcp:", "ok", ".devctl/logs/db.stdout.log"]
    assert lines[2] == ["web", "failed", "(exited", "with", "code", "1)", "-", "-", "3", "-"]


def test_a_dead_supervisor_is_said_first(consoles):
    _render_status(snapshot(False, [{"name": "db", "state": "exited"}]))
    shown = consoles.readouterr()
    assert "the supervisor is not running" in shown.err and "`devctl down` cleans up" in shown.err
    assert "db" in shown.out and "exited" in shown.out
