"""`devctl run [SERVICE...] -- CMD`: up, CMD against it, down — as a CI script runs it.

Real services from testdata/services on OS-picked ports, CMD a small Python program; every
test leaves nothing running (the autouse orphan check), and checks `status` afterwards.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import pytest

from tests.cli import run_cli, spawn_cli, wait_for
from tests.integration.test_supervisor_cli import free_port, open_repo, service

# A CMD that records what it was given, then exits with the code asked for.
RECORD = ("import json, os, socket, sys; "
          "env = {k: v for k, v in os.environ.items() if k.startswith('DEVCTL_')}; "
          "port = os.environ.get('DEVCTL_WEB_PORT'); "
          "socket.create_connection(('127.0.0.1', int(port)), timeout=5).close() if port else None; "
          "env['stdin'] = sys.stdin.read(); "
          "open(sys.argv[1], 'w').write(json.dumps(env)); print('cmd says hi'); sys.exit(int(sys.argv[2]))")
GITHUB = {"CI": "true", "GITHUB_ACTIONS": "true", "GITLAB_CI": ""}


def web(port: int, **extra) -> dict:
    return service("web", "tcp_listen.py", str(port), health={"type": "tcp", "address": f"127.0.0.1:{port}"},
                   **extra)


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    yield from open_repo(root)


def run(repo, *args: str, env: dict | None = None, timeout: float = 90, input: str | None = None):
    return run_cli("-C", str(repo.root), "run", *args, env=env, timeout=timeout, input=input)


def test_run_passes_cmd_the_plan_and_stops_everything_after(repo, tmp_path):
    port = free_port()
    repo.plan(web(port, env={"ADMIN_PORT": "9123"}), service("api-v2", "sleeper.py", depends_on=["web"]))
    out = tmp_path / "env.json"
    res = run(repo, "--", sys.executable, "-c", RECORD, str(out), "0", env=GITHUB, input="to CMD")
    assert res.returncode == 0, res.stderr
    assert "cmd says hi" in res.stdout
    env = json.loads(out.read_text())
    assert env["stdin"] == "to CMD"
    assert env["DEVCTL_WEB_PORT"] == str(port)
    assert env["DEVCTL_WEB_HOST"] == "127.0.0.1"
    assert env["DEVCTL_WEB_ADDRESS"] == f"127.0.0.1:{port}"
    assert env["DEVCTL_WEB_ADMIN_PORT"] == "9123"
    assert env["DEVCTL_SERVICES"] == "web api-v2"
    assert json.loads(env["DEVCTL_CONFIG"]) is not None
    assert "::group::" not in res.stderr  # success under CI: nothing extra
    assert "stopped 2 services" in res.stderr
    assert repo.cli("status").returncode == 3
    assert not (repo.root / ".devctl" / "state.json").exists()


def test_failing_cmd_exit_code_and_folded_logs_under_github_actions(repo, tmp_path):
    port = free_port()
    repo.plan(web(port), service("worker", "numbered_lines.py", "3"))
    res = run(repo, "--", sys.executable, "-c", RECORD, str(tmp_path / "env.json"), "7", env=GITHUB)
    assert res.returncode == 7, res.stderr
    err = res.stderr
    for name in ("web", "worker"):
        start = err.index(f"::group::devctl: logs of service {name}\n")
        end = err.index("::endgroup::", start)
        assert "--- stdout (" in err[start:end] and "--- stderr (" in err[start:end]
    worker = err[err.index("::group::devctl: logs of service worker"):]
    assert "line 3" in worker and "wrote 3 lines" in worker
    assert f"listening on 127.0.0.1:{port}" in err
    assert repo.cli("status").returncode == 3


def test_keep_leaves_it_up_and_the_next_run_reuses_it(repo, tmp_path):
    port = free_port()
    repo.plan(web(port))
    res = run(repo, "--keep", "--", sys.executable, "-c", "pass")
    assert res.returncode == 0, res.stderr
    pid = repo.service("web")["pid"]
    assert repo.cli("status").returncode == 0
    res = run(repo, "--", sys.executable, "-c", RECORD, str(tmp_path / "env.json"), "0")
    assert res.returncode == 0, res.stderr
    assert "using the running environment" in res.stderr
    assert json.loads((tmp_path / "env.json").read_text())["DEVCTL_WEB_PORT"] == str(port)
    # It was up before this run: still up, same process.
    assert repo.cli("status").returncode == 0 and repo.service("web")["pid"] == pid
    # A changed plan is not reused behind the user's back.
    repo.plan(web(port, env={"CHANGED": "1"}))
    res = run(repo, "--", sys.executable, "-c", "pass")
    assert res.returncode == 1 and "runs with another env than the plan" in res.stderr
    assert repo.service("web")["pid"] == pid


def test_sigterm_to_run_stops_cmd_group_and_services(repo, tmp_path):
    repo.plan(web(free_port()))
    pidfile = tmp_path / "cmd.pid"
    # CMD starts a grandchild in its group, then waits: both must go.
    script = ("import os, subprocess, sys, time; "
              "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
              "open(sys.argv[1], 'w').write(f'{os.getpid()} {child.pid}'); time.sleep(600)")
    with spawn_cli("-C", str(repo.root), "run", "--", sys.executable, "-c", script, str(pidfile)) as proc:
        wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), what="CMD started")
        pids = [int(p) for p in pidfile.read_text().split()]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 143, proc.stderr.read()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), pid
    assert repo.cli("status").returncode == 3


def test_cmd_past_timeout_is_stopped_and_exits_124(repo):
    repo.plan(web(free_port()))
    res = run(repo, "--timeout", "0.5s", "--", sys.executable, "-c", "import time; time.sleep(600)")
    assert res.returncode == 124, res.stderr
    assert "ran past --timeout" in res.stderr
    assert repo.cli("status").returncode == 3


def test_service_never_ready_exits_1_with_both_tails_and_cmd_never_runs(repo, tmp_path):
    port = free_port()
    chatty = ("import sys, time; print('out: loading'); print('err: no config', file=sys.stderr); "
              "sys.stdout.flush(); sys.stderr.flush(); time.sleep(600)")
    repo.plan({"name": "db", "command": ["{python}", "-c", chatty],
               "health": {"type": "tcp", "address": f"127.0.0.1:{port}", "timeout_ms": 1500}})
    marker = tmp_path / "ran"
    res = run(repo, "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')", env=GITHUB)
    assert res.returncode == 1, res.stderr
    assert "service 'db' failed to start" in res.stderr
    assert "out: loading" in res.stderr and "err: no config" in res.stderr
    assert "db.stdout.log" in res.stderr and "db.stderr.log" in res.stderr
    assert "::group::devctl: logs of service db" in res.stderr
    assert not marker.exists()
    assert repo.cli("status").returncode == 3


def test_no_cmd_or_unknown_service_is_a_usage_error(repo):
    repo.plan(service("a", "sleeper.py"))
    res = run(repo)
    assert res.returncode == 2 and "nothing to run" in res.stderr
    res = run(repo, "nope", "--", "true")
    assert res.returncode == 2 and "no planned service named nope" in res.stderr
    res = run(repo, "--", "no-such-command-devctl")
    assert res.returncode == 127 and "nothing was started" in res.stderr
    res = run(repo, "--dry-run", "--", "true")
    assert res.returncode == 0 and "would start, then true; nothing was started" in res.stderr
    assert "a  (from sup)" in res.stdout
    assert not (repo.root / ".devctl" / "state.json").exists()


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True

