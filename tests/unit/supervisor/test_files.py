"""State file (atomic, versioned, redacted), plan checks, log tail/follow/rotation."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from devctl.errors import ConfigError, DevctlError
from devctl.supervisor import logs, plan, spawn
from devctl.supervisor.paths import Paths, short_socket_path, supervisor_alive
from devctl.supervisor.state_store import CorruptState, read_state, redact_env, save_state, write_state


def test_redaction_of_secret_looking_keys():
    env = {"API_TOKEN": "t", "db_password": "p", "AWS_SECRET_ACCESS_KEY": "k", "SSH_KEY_PATH": "x",
           "MODE": "dev", "PORT": "80"}
    red = redact_env(env)
    assert red == {"API_TOKEN": "***", "db_password": "***", "AWS_SECRET_ACCESS_KEY": "***",
                   "SSH_KEY_PATH": "***", "MODE": "dev", "PORT": "80"}
    assert env["API_TOKEN"] == "t"  # the input is not modified


def test_state_write_is_atomic_and_versioned(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    write_state(path, {"services": [{"n": 1}]})
    assert json.loads(path.read_text()) == {"version": 1, "services": [{"n": 1}]}
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    def boom(fd, data):
        raise OSError(28, "disk full")

    monkeypatch.setattr(os, "write", boom)
    with pytest.raises(OSError):
        write_state(path, {"services": [{"n": 2}]})
    assert read_state(path)["services"] == [{"n": 1}]  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp file left
    # The supervisor's writer reports the failure instead of raising on its event loop.
    assert save_state(path, {"services": [{"n": 3}]}) is False
    assert read_state(path)["services"] == [{"n": 1}]
    monkeypatch.undo()
    assert save_state(path, {"services": [{"n": 3}]}) is True
    assert read_state(path)["services"] == [{"n": 3}]


@pytest.mark.parametrize("text", ["{bad", "", "[1, 2]", '{"services": []}', '{"version": 1, "services": [1]}',
                                  '{"version": 1, "services": {}}', "\udcff"])
def test_a_corrupt_state_file_is_corrupt_state_not_a_traceback(tmp_path, text):
    path = tmp_path / "state.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(CorruptState, match="state.json: not valid"):
        read_state(path)


def test_state_from_another_version_is_a_clear_error(tmp_path):
    path = tmp_path / "state.json"
    path.write_text('{"version": 99}')
    with pytest.raises(DevctlError, match="version 99"):
        read_state(path)
    assert read_state(tmp_path / "missing.json") is None


def test_liveness_by_flock(tmp_path):
    from devctl.supervisor.control import AlreadyRunning, acquire_lock

    lock = tmp_path / "supervisor.lock"
    assert not supervisor_alive(lock)
    fd = acquire_lock(lock)
    try:
        assert supervisor_alive(lock)
        with pytest.raises(AlreadyRunning):
            acquire_lock(lock)
    finally:
        os.close(fd)
    assert not supervisor_alive(lock)


@pytest.mark.parametrize("kind", [Path, str])  # str: `down`'s early request (cli/down_early.py)
def test_long_socket_paths_are_shortened(tmp_path, kind):
    deep = tmp_path / ("d" * 120)
    deep.mkdir()
    address, dirfd = short_socket_path(kind(deep / "supervisor.sock"))
    try:
        assert dirfd is not None and len(address) < 100 and address.endswith("/supervisor.sock")
        assert os.path.samefile(os.path.dirname(address), deep)  # the same directory, by a short name
    finally:
        if dirfd is not None:
            os.close(dirfd)
    assert short_socket_path(kind(tmp_path / "s.sock")) == (str(tmp_path / "s.sock"), None)


def svc(name, **kw):
    return {"name": name, "command": [sys.executable, "-c", "pass"], **kw}


def test_in_start_order_keeps_the_checked_services_and_checks_them_together(tmp_path):
    """What `up` runs on the pipeline's services (each already normalized): the start order and
    the checks that need every service, the same messages as `normalize`, no per-service pass."""
    checked = plan.normalize([svc("web", depends_on=["db"]), svc("db")], tmp_path)
    again = plan.in_start_order(list(reversed(checked)))
    assert [s["name"] for s in again] == ["db", "web"] and again[0] is checked[0]
    db = checked[0]
    for services, message in [([db, db], "planned twice"),
                              ([{**db, "depends_on": ["nope"]}], "which no plugin planned"),
                              ([{**db, "depends_on": ["web"]}, checked[1]], "in a cycle")]:
        with pytest.raises(ConfigError, match=message):
            plan.in_start_order(services)


def test_normalize_defaults_and_order(tmp_path):
    out = plan.normalize([svc("web", depends_on=["db"]), svc("db", cwd="sub")], tmp_path)
    assert [s["name"] for s in out] == ["db", "web"]
    db = out[0]
    assert db["cwd"] == str(tmp_path / "sub") and db["restart"] == "on-failure"
    assert db["max_restarts"] == 5 and db["stop_signal"] == "SIGTERM" and db["stop_timeout_ms"] == 10000


@pytest.mark.parametrize(
    ("services", "message"),
    [
        ([svc("a", depends_on=["nope"])], "depends on 'nope', which no plugin planned"),
        ([svc("a", depends_on=["b"]), svc("b", depends_on=["a"])], "in a cycle: a -> b -> a"),
        ([svc("../x")], "invalid service name"),
        ([svc("a/b")], "invalid service name"),
        ([svc("a"), svc("a")], "planned twice"),
        ([svc("a", restart="sometimes")], "'restart' must be one of"),
        ([svc("a", stop_signal="SIGNOPE")], "'stop_signal' must be a signal name"),
        ([svc("a", health={"type": "tcp", "address": "nohost"})],
         "health.address must be 'host:port' for a tcp check, got 'nohost'"),
        ([{"name": "a", "command": "echo hi"}], "'command' must be a non-empty list of strings"),
    ],
)
def test_bad_plans_are_config_errors(tmp_path, services, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        plan.normalize(services, tmp_path)


def test_command_checks_name_the_service(tmp_path):
    missing = plan.normalize([{"name": "api", "command": ["no-such-binary-xyz"]}], tmp_path)
    with pytest.raises(DevctlError, match="service 'api': no-such-binary-xyz: command not found"):
        plan.check_commands(missing)
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    not_exec = plan.normalize([{"name": "job", "command": ["./run.sh"]}], tmp_path)
    with pytest.raises(DevctlError, match=r"service 'job': ./run.sh: \[Errno 13\]"):
        plan.check_commands(not_exec)


def test_an_exec_health_command_is_checked_before_anything_starts(tmp_path):
    import sys

    probe = {"type": "exec", "command": ["pg_isready-not-installed", "-q"]}
    missing = plan.normalize([{"name": "db", "command": [sys.executable], "health": probe}], tmp_path)
    with pytest.raises(DevctlError, match="service 'db': health command: pg_isready-not-installed: command "
                                          "not found in PATH"):
        plan.check_commands(missing)
    found = plan.normalize([{"name": "db", "command": [sys.executable],
                             "health": {"type": "exec", "command": [sys.executable, "-c", "0"]}}], tmp_path)
    plan.check_commands(found)
    assert plan.health_target(found[0]["health"]) is None  # no port to check for an exec probe


def test_health_targets():
    assert plan.health_target({"type": "tcp", "address": "127.0.0.1:5432"}) == ("127.0.0.1", 5432)
    assert plan.health_target({"type": "http", "url": "http://localhost:8080/h"}) == ("localhost", 8080)
    assert plan.health_target({"type": "http", "url": "ftp://x"}) is None


def test_tail_lines(tmp_path):
    path = tmp_path / "a.log"
    path.write_text("".join(f"line {i}\n" for i in range(1, 100_001)))
    assert logs.tail_lines(path, 3) == ["line 99998", "line 99999", "line 100000"]
    assert logs.tail_lines(path, 0) == []
    path.write_text("one\ntwo")  # no trailing newline
    assert logs.tail_lines(path, 5) == ["one", "two"]
    assert logs.tail_lines(tmp_path / "missing.log", 5) == []


def test_rotation_keeps_one_generation(tmp_path):
    log = tmp_path / "s.stdout.log"
    log.write_text("first\n")
    spawn.rotate(log)
    log.write_text("second\n")
    spawn.rotate(log)
    assert not log.exists() and (tmp_path / "s.stdout.log.1").read_text() == "second\n"
    spawn.rotate(log)  # missing file: fine


def test_follow_survives_rotation_without_losing_lines(tmp_path):
    log = tmp_path / "w.stdout.log"
    log.write_text("")
    seen: list[str] = []
    done = threading.Event()

    def writer():
        time.sleep(0.1)  # the follower is already reading the first file
        with open(log, "a") as fh:
            for i in range(50):
                fh.write(f"old {i}\n")
        spawn.rotate(log)  # as a restart does
        with open(log, "a") as fh:
            for i in range(50):
                fh.write(f"new {i}\n")
        done.set()

    threading.Thread(target=writer).start()
    deadline = time.monotonic() + 10
    logs.follow([("w", log)], lambda _k, line: seen.append(line), poll_s=0.01,
                should_stop=lambda: (done.is_set() and len(seen) >= 100) or time.monotonic() > deadline)
    assert seen == [f"old {i}" for i in range(50)] + [f"new {i}" for i in range(50)]


def test_follow_from_the_end_never_starts_with_half_a_line(tmp_path):
    """`logs -f -n 0` opens at the end of a file a service is writing: usually mid-line."""
    log = tmp_path / "w.stdout.log"
    log.write_bytes(b"000000001 whole\n000000002 ha")
    src = logs._Source("w", log)
    src.open(at_end=True)
    with open(log, "ab") as fh:
        fh.write(b"lf\n000000003 whole\n0000")
    assert src.poll() == ["000000003 whole"]
    with open(log, "ab") as fh:
        fh.write(b"00004 whole\n")
    assert src.poll() == ["000000004 whole"]
    src.close()


def test_follow_from_the_end_at_a_line_start_loses_nothing(tmp_path):
    log = tmp_path / "w.stdout.log"
    log.write_bytes(b"old\n")
    src = logs._Source("w", log)
    src.open(at_end=True)
    with open(log, "ab") as fh:
        fh.write(b"new\n")
    assert src.poll() == ["new"]
    src.close()


def test_prefixes_are_padded_and_plain_without_colour():
    prefixes = logs.make_prefixes(["web", "worker"], colour=False)
    assert prefixes == {"web": "web    | ", "worker": "worker | "}
    coloured = logs.make_prefixes(["web"], colour=True)
    assert coloured["web"].startswith("\x1b[") and "web | " in coloured["web"]


def test_no_colour_env(monkeypatch):
    class Tty:
        def isatty(self):
            return True

    monkeypatch.setenv("NO_COLOR", "1")
    assert not logs.use_colour(Tty())  # type: ignore[arg-type]
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "xterm")
    assert logs.use_colour(Tty())  # type: ignore[arg-type]


def test_paths_layout(tmp_path):
    p = Paths(Path(tmp_path))
    assert p.log("web", "stderr") == tmp_path / ".devctl" / "logs" / "web.stderr.log"
    assert p.sock.name == "supervisor.sock" and p.lock.name == "supervisor.lock"


def test_follow_shows_the_ended_runs_last_lines_before_the_new_runs_first(tmp_path):
    """A restart rotates both streams after the process exited. Following stdout and stderr,
    the old run's last stderr line must come before the new run's first stdout line, even when
    both changes are seen in the same look (a fast restart): stdout is looked at first."""
    from devctl.supervisor import logs

    out, err = tmp_path / "s.stdout.log", tmp_path / "s.stderr.log"
    out.write_text("up\n")
    err.write_text("")
    seen: list[tuple[str, str]] = []
    looks = {"n": 0}

    def restart_once() -> bool:
        looks["n"] += 1
        if looks["n"] == 1:  # the first idle look: the run crashes and restarts before the next
            with open(err, "a") as fh:
                fh.write("crashing with code 1\n")
            for path in (out, err):
                path.rename(path.with_name(path.name + ".1"))
            out.write_text("up\n")
            err.write_text("")
            return False
        return looks["n"] > 3

    logs.follow([("out", out), ("err", err)], lambda key, line: seen.append((key, line)),
                from_start=True, should_stop=restart_once, poll_s=0.001)
    assert seen == [("out", "up"), ("err", "crashing with code 1"), ("out", "up")]
