"""Fault tests: the supervisor or a service is killed from outside, a port never opens,
a service ignores SIGTERM, a service floods its log. Nothing may survive any of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from tests.cli import ok, wait_for
from tests.integration.test_supervisor_cli import free_port, open_repo, service


@pytest.fixture
def repo(tmp_path):
    yield from open_repo(tmp_path)


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_sigkill_supervisor_then_down_leaves_nothing(repo, tmp_path):
    pidfile = tmp_path / "tree.pids"
    repo.plan(service("tree", "fork_tree.py", str(pidfile)), service("plain", "sleeper.py"))
    ok(repo.cli("up"))
    wait_for(lambda: pidfile.exists() and len(pidfile.read_text().splitlines()) == 3, what="the tree")
    pids = {line.split()[0]: int(line.split()[1]) for line in pidfile.read_text().splitlines()}
    # The grandchild left the group (setsid): only recorded descendants can find it.
    assert os.getpgid(pids["grandchild"]) != os.getpgid(pids["main"])
    wait_for(lambda: pids["grandchild"] in [d[0] for d in repo.service("tree")["descendants"]],
             what="the grandchild to be recorded")

    sup_pid = repo.status()["supervisor"]["pid"]
    os.kill(sup_pid, signal.SIGKILL)
    wait_for(lambda: not repo.status()["supervisor"]["running"], what="the supervisor to be gone")

    res = repo.cli("status")
    assert "supervisor is not running" in res.stderr
    snap = repo.status()
    assert snap["supervisor"]["stale_state"] is True
    assert {s["state"] for s in snap["services"]} == {"running"}  # judged alive by create time

    res = repo.cli("down", "--timeout", "2")
    ok(res)
    for role, pid in pids.items():
        assert not alive(pid), f"{role} {pid} survived"
    assert not (repo.root / ".devctl" / "state.json").exists()
    assert "nothing running" in repo.cli("down").stderr


def test_up_after_a_sigkilled_supervisor_never_doubles_the_services(repo):
    repo.plan(service("plain", "sleeper.py"))
    ok(repo.cli("up"))
    old = repo.service("plain")["pid"]
    os.kill(repo.status()["supervisor"]["pid"], signal.SIGKILL)
    wait_for(lambda: not repo.status()["supervisor"]["running"], what="the supervisor to be gone")

    record = (repo.root / ".devctl" / "pipeline.json").read_bytes()
    res = repo.cli("up")
    assert res.returncode == 1 and "without their supervisor (plain)" in res.stderr
    assert alive(old)
    # The no-go comes before the pipeline's first phase: no run was recorded.
    assert (repo.root / ".devctl" / "pipeline.json").read_bytes() == record

    ok(repo.cli("up", "--force"))
    assert not alive(old)
    new = repo.service("plain")["pid"]
    assert new != old and repo.status()["supervisor"]["running"]
    ok(repo.cli("down"))
    assert not alive(new)


def test_up_after_a_dead_run_with_nothing_left_just_starts(repo):
    repo.plan(service("plain", "sleeper.py"))
    ok(repo.cli("up"))
    state = repo.status()
    os.kill(state["supervisor"]["pid"], signal.SIGKILL)
    os.kill(state["services"][0]["pid"], signal.SIGKILL)
    wait_for(lambda: not repo.status()["supervisor"]["running"]
             and repo.service("plain")["state"] == "exited", what="both to be gone")
    ok(repo.cli("up"))
    assert repo.cli("status").returncode == 0
    ok(repo.cli("down"))


def test_service_killed_from_outside_restarts_with_backoff(repo):
    repo.plan(service("worker", "sleeper.py"))
    ok(repo.cli("up"))
    first = repo.service("worker")["pid"]
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: repo.service("worker")["pid"] != first and repo.service("worker")["state"] == "running",
             what="the restart")
    events = [e for e in repo.events() if e["service"] == "worker"]
    names = [e["event"] for e in events]
    assert names == ["started", "ready", "exited", "restarting", "started", "ready"]
    exited, restarting = events[2], events[3]
    assert exited["signal"] == "SIGKILL" and exited["pid"] == first
    assert restarting["attempt"] == 1 and restarting["delay_s"] == 1.0
    assert events[4]["ts"] - exited["ts"] >= 0.9  # the backoff was honoured
    rec = repo.service("worker")
    assert rec["restarts"] == 1 and rec["last_exit"]["signal"] == "SIGKILL"


def test_a_signal_python_does_not_name_is_recorded_not_fatal(repo):
    """A real-time signal (SIGRTMIN+5) has no name in Python's `signal.Signals`: the exit
    is recorded as `signal N` and the service restarted; the supervisor must not die on it."""
    repo.plan(service("worker", "sleeper.py"))
    ok(repo.cli("up"))
    first = repo.service("worker")["pid"]
    rt_signal = signal.SIGRTMIN + 5
    os.kill(first, rt_signal)
    wait_for(lambda: repo.service("worker")["pid"] != first and repo.service("worker")["state"] == "running",
             what="the restart")
    assert repo.status()["supervisor"]["running"] is True
    assert repo.service("worker")["last_exit"]["signal"] == f"signal {int(rt_signal)}"


def test_port_that_never_opens_fails_up_and_cleans_up(repo):
    port = free_port()
    repo.plan(
        service("ok", "sleeper.py"),
        service("db", "crash_after.py", "3600", health={"type": "tcp", "address": f"127.0.0.1:{port}",
                                                       "timeout_ms": 1500}),
    )
    res = repo.cli("up")
    assert res.returncode == 1
    assert "service 'db' failed to start: not ready within 1.5 s" in res.stderr
    assert f"127.0.0.1:{port}" in res.stderr  # the last probe's target and error
    assert not (repo.root / ".devctl" / "state.json").exists()
    assert repo.cli("status").returncode == 3


def test_crash_before_ready_prints_stderr_tail(repo):
    # A health check that cannot pass: without one, a start slower than the 0.5 s settle time
    # (a loaded box) would count the service as ready before it crashes, and then restart it.
    repo.plan(service("api", "crash_after.py", "0.1", "7",
                      health={"type": "tcp", "address": f"127.0.0.1:{free_port()}", "timeout_ms": 60000}))
    res = repo.cli("up")
    assert res.returncode == 1
    assert "service 'api' failed to start: exited with code 7" in res.stderr
    assert "crashing with code 7" in res.stderr  # from .devctl/logs/api.stderr.log


def test_sigterm_ignoring_service_is_killed_after_grace(repo):
    repo.plan(service("stubborn", "ignore_term.py", stop_timeout_ms=500))
    ok(repo.cli("up"))
    pid = repo.service("stubborn")["pid"]
    t_down = time.time()
    ok(repo.cli("down"))
    assert not alive(pid)
    events = {e["event"]: e for e in repo.events() if e["service"] == "stubborn"}
    assert events["exited"]["signal"] == "SIGKILL" and events["exited"]["stop_requested"] is True
    # Gone within grace (0.5 s) + 1 s; the bound is generous for a loaded 2-core box and
    # includes the CLI's own start-up: this checks that SIGKILL really follows, not speed.
    assert events["stopped"]["ts"] - t_down < 0.5 + 1 + 8


def test_logs_follow_continues_across_restarts(repo):
    repo.plan(service("flaky", "crash_after.py", "0.8", "1"))
    ok(repo.cli("up"))
    proc = subprocess.Popen(
        # -n 1: `-n` fills in from the previous run's file (.log.1), so with more the tail alone
        # could already hold two "up" lines; one makes the second come from following.
        [sys.executable, "-m", "devctl", "-C", str(repo.root), "logs", "-f", "-n", "1", "flaky"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line.strip())
            if lines.count("up") >= 2:
                break
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert lines.count("up") >= 2 and "crashing with code 1" in lines
    assert any(e["event"] == "restarting" for e in repo.events())


@pytest.mark.slow
def test_every_one_of_200000_lines_is_in_the_log(repo):
    n = 200_000
    repo.plan(service("spam", "numbered_lines.py", str(n)))
    ok(repo.cli("up"))
    wait_for(lambda: "wrote" in repo.log("spam", "stderr").read_text(), what="the writer", timeout=60)
    lines = repo.log("spam").read_text().splitlines()
    assert len(lines) == n
    assert lines == [f"line {i}" for i in range(1, n + 1)]
