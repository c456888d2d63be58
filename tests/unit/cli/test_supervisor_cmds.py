"""`devctl status` as a person reads it (cli/status_table.py): the table on stdout, problems on stderr."""

import pytest

from devctl.cli import output
from devctl.cli.status_table import render_status, status_lines


def snapshot(running: bool, services: list) -> dict:
    return {"repo_root": "/repo", "supervisor": {"running": running}, "services": services}


def test_nothing_recorded(consoles):
    render_status(snapshot(False, []))
    shown = consoles.readouterr()
    assert shown.out == ""
    assert "nothing running (no services recorded for this repo" in shown.err


def test_table_of_services(consoles, monkeypatch):
    monkeypatch.chdir("/")  # outside the repo: log paths are absolute
    render_status(snapshot(True, [
        {"name": "db", "state": "healthy", "pid": 41, "uptime_s": 184, "restarts": 0,
         "health": {"type": "tcp", "ok": True}, "logs": {"stdout": "/repo/.devctl/logs/db.stdout.log"}},
        {"name": "web", "state": "failed", "error": "exited with code 1", "restarts": 3},
    ]))
    shown = consoles.readouterr()
    assert shown.err == ""
    lines = [line.split() for line in shown.out.splitlines()]
    assert lines[0] == ["SERVICE", "STATE", "PID", "UPTIME", "RESTARTS", "HEALTH", "LOG"]
    assert lines[1] == ["db", "healthy", "41", "3m04s", "0", "tcp:", "ok", "/repo/.devctl/logs/db.stdout.log"]
    assert lines[2] == ["web", "failed", "(exited", "with", "code", "1)", "-", "-", "3", "-"]


def test_a_dead_supervisor_is_said_first(consoles):
    render_status(snapshot(False, [{"name": "db", "state": "exited"}]))
    shown = consoles.readouterr()
    assert "the supervisor is not running" in shown.err and "`devctl down` cleans up" in shown.err
    assert "db" in shown.out and "exited" in shown.out


LONG = [
    {"name": "payments-reconciliation-worker", "state": "healthy", "pid": 1427211, "uptime_s": 90061,
     "restarts": 12, "health": {"type": "http", "ok": False, "error": (
         "GET http://127.0.0.1:38211/healthz/ready answered 503 Service Unavailable")},
     "logs": {"stdout": "/repo/.devctl/logs/payments-reconciliation-worker.stdout.log"}},
    {"name": "notification-dispatcher", "state": "failed", "pid": 14272,
     "error": "exited with code 3 after 5 restarts in 40 s; the last start lasted 0.2 s", "restarts": 5},
]


@pytest.mark.parametrize("columns", ["80", "40", None])
def test_numbers_and_names_are_never_cut(consoles, monkeypatch, columns):
    """Regression: at 80 columns and whenever piped, rich squeezed every column, so a pid of 14272
    showed as `1427` and long names were cut. Piped (as here) the table keeps its natural width;
    the free text (health, log, a failure's reason) wraps or goes on its own line instead."""
    if columns is None:
        monkeypatch.delenv("COLUMNS")
    else:
        monkeypatch.setenv("COLUMNS", columns)
    output.out.cache_clear()
    render_status(snapshot(True, LONG))
    text = consoles.readouterr().out
    words = text.split()
    for whole in ("payments-reconciliation-worker", "1427211", "1d01h", "12", "notification-dispatcher", "5"):
        assert whole in words, (whole, text)
    flat = " ".join(words)
    assert "exited with code 3 after 5 restarts in 40 s; the last start lasted 0.2 s" in flat
    assert ".devctl/logs/payments-reconciliation-worker.stdout.log" in text.replace("\n", "")


def test_a_narrow_terminal_folds_free_text_and_puts_reasons_on_their_own_line():
    """On a 60-column terminal the whole columns stay whole; the reason leaves the STATE cell."""
    text = "\n".join(status_lines(snapshot(True, LONG), terminal=True, width=60, colour=False, cwd="/"))
    rows = text.splitlines()
    assert rows[1].split()[:5] == ["payments-reconciliation-worker", "healthy", "1427211", "1d01h", "12"]
    failed = next(row for row in rows if row.startswith("notification-dispatcher"))
    assert failed.split()[:5] == ["notification-dispatcher", "failed", "-", "-", "5"]
    assert ("  notification-dispatcher: exited with code 3 after 5 restarts in 40 s; the last start "
            "lasted 0.2 s") in text
    # HEALTH and LOG share what is left (rich's layout: the wider shrinks first), folding long words
    assert rows[0] == ("SERVICE                         STATE    PID      UPTIME  RESTARTS  HEALTH       "
                       "LOG          ")
    assert [row[68:] for row in rows[1:4]] == ["http: GET    /repo/.devctl", "http://127.  /logs/payment",
                                               "0.0.1:38211  s-reconciliat"]


def test_colour_on_a_terminal_marks_the_state_by_its_first_word_and_the_header_bold():
    rows = status_lines(snapshot(True, [
        {"name": "db", "state": "healthy", "pid": 4, "uptime_s": 1, "restarts": 0},
        {"name": "web", "state": "failed", "error": "exited [x]"},
        {"name": "odd", "state": "mystery"},
    ]), terminal=True, width=200, colour=True, cwd="/")
    assert rows[0].startswith("\x1b[1mSERVICE") and rows[0].endswith("\x1b[0m")
    assert rows[1].startswith("db       \x1b[32mhealthy\x1b[0m  ")
    assert rows[2].startswith("web      \x1b[1;31mfailed (exited [x])\x1b[0m  ")
    assert rows[3].startswith("odd      mystery  ")
    plain = status_lines(snapshot(True, [{"name": "db", "state": "healthy"}]), terminal=True, width=200,
                         colour=False, cwd="/")
    assert not any("\x1b" in row for row in plain)


def test_log_paths_are_relative_to_where_you_are_and_name_what_was_written(consoles, monkeypatch, tmp_path):
    """Regression: the LOG column was relative to the repo root (wrong from a subdirectory) and
    always named the stdout log, empty when a service wrote its traceback to stderr."""
    logs = tmp_path / ".devctl" / "logs"
    logs.mkdir(parents=True)
    (logs / "web.stdout.log").write_text("serving\n")
    (logs / "web.stderr.log").write_text("")
    (logs / "job.stdout.log").write_text("")
    (logs / "job.stderr.log").write_text("Traceback ...\n")
    (tmp_path / "src").mkdir()
    monkeypatch.chdir(tmp_path / "src")
    streams = ("stdout", "stderr")
    services = [{"name": n, "state": "exited", "logs": {s: str(logs / f"{n}.{s}.log") for s in streams}}
                for n in ("web", "job")]
    render_status({"repo_root": str(tmp_path), "supervisor": {"running": True}, "services": services})
    rows = {line.split()[0]: line.split()[-1] for line in consoles.readouterr().out.splitlines()[1:]}
    assert rows == {"web": "../.devctl/logs/web.stdout.log", "job": "../.devctl/logs/job.stderr.log"}
