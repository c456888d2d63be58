"""Security: file modes, who may talk to the supervisor, secrets, no shell, names that cannot
leave `.devctl/`, no TCP port of devctl's own, and plugin output that cannot add commands.
The trust model these tests pin down is written up in docs/security.md."""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
from pathlib import Path

import psutil
import pytest

from tests.cli import ok, wait_for
from tests.reliability.harness import Repo, alive, free_port, no_traceback, rel, svc

SECRET = "hunter2-s3cr3t"


@pytest.fixture
def repo(tmp_path):
    r = Repo(tmp_path)
    yield r
    r.cli("down", "--timeout", "1")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_state_dir_socket_and_files_are_private(repo):
    repo.plan(svc("web", "sleeper.py"))
    ok(repo.cli("up"))
    d = repo.state_dir
    assert mode(d) == 0o700 and mode(d / "logs") == 0o700
    assert stat.S_ISSOCK(os.stat(d / "supervisor.sock").st_mode) and mode(d / "supervisor.sock") == 0o600
    for name in ("state.json", "supervisor.lock", "supervisor.log", "logs/web.stdout.log",
                 "logs/web.stderr.log"):
        assert mode(d / name) & 0o077 == 0, f"{name} is {oct(mode(d / name))}"
    assert (d / ".gitignore").read_text() == "*\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as a second uid (setuid to nobody)")
def test_another_uid_cannot_reach_the_supervisor(repo):
    repo.plan(svc("web", "sleeper.py"))
    ok(repo.cli("up"))
    sock_path = str(repo.state_dir / "supervisor.sock")
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child becomes `nobody` and tries the socket, then the state file
        os.close(read_fd)
        result = []
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            for attempt in ("connect", "read"):
                try:
                    if attempt == "connect":
                        s = socket.socket(socket.AF_UNIX)
                        s.connect(sock_path)
                        s.sendall(b'{"op": "shutdown"}\n')
                    else:
                        (repo.state_dir / "state.json").read_text()
                    result.append(f"{attempt}: allowed")
                except PermissionError:
                    result.append(f"{attempt}: denied")
                except OSError as exc:
                    result.append(f"{attempt}: {exc}")
        finally:
            os.write(write_fd, "\n".join(result).encode())
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as fh:
        verdict = fh.read()
    os.waitpid(pid, 0)
    assert verdict == "connect: denied\nread: denied"
    assert repo.status()["supervisor"]["running"]  # and it is still serving its owner


def test_secrets_are_redacted_in_state_status_events_and_messages(repo):
    env = {"API_TOKEN": SECRET, "db_password": SECRET, "AWS_SECRET_ACCESS_KEY": SECRET, "MODE": "dev"}
    repo.plan(svc("web", "sleeper.py", env=env), svc("bad", "sleeper.py", env=env, cwd="/nonexistent"))
    res = repo.cli("up")  # refused before anything starts: the cwd does not exist
    assert res.returncode != 0 and "bad" in res.stderr
    assert SECRET not in res.stdout + res.stderr
    res = repo.cli("up", "--dry-run")  # prints each service with its env
    assert res.returncode != 0 or "MODE" in res.stdout
    repo.plan(svc("web", "sleeper.py", env=env), svc("crash", "crash_after.py", "0.1", "2", env=env))
    dry = repo.cli("up", "--dry-run")
    ok(dry)
    assert "API_TOKEN" in dry.stdout and SECRET not in dry.stdout + dry.stderr
    for args in (("plan",), ("plan", "--json")):  # plan --json printed API_TOKEN in clear (issue 12)
        planned = ok(repo.cli(*args))
        assert SECRET not in planned.stdout + planned.stderr, args
    assert json.loads(planned.stdout)["services"][0]["env"]["API_TOKEN"] == "***"
    failed = repo.cli("up")  # `crash` fails to start: the message and stderr tail are devctl's
    assert failed.returncode == 1 and SECRET not in failed.stdout + failed.stderr
    repo.plan(svc("web", "sleeper.py", env=env))
    ok(repo.cli("up"))
    for args in (("status",), ("status", "--json"), ("logs",)):
        res = repo.cli(*args)
        assert SECRET not in res.stdout + res.stderr, args
    for path in repo.state_dir.rglob("*"):
        if path.is_file() and not path.name.endswith(".log"):  # service logs are the service's own
            assert SECRET not in path.read_text(errors="replace"), path
    assert SECRET not in (repo.state_dir / "supervisor.log").read_text()
    snap = repo.services()["web"]
    assert snap["env"] == {"API_TOKEN": "***", "db_password": "***", "AWS_SECRET_ACCESS_KEY": "***",
                           "MODE": "dev"}


def test_plan_commands_never_go_through_a_shell(repo, tmp_path):
    hostile = ["$(touch sub)", "`touch tick`", "; touch semi", "&& touch and", "| touch pipe",
               "> redir", "*", "$HOME", "'quoted'", "a\nb"]
    repo.plan({"name": "echo", "command": ["{python}", "-c",
                                           "import sys, time; print(repr(sys.argv[1:]), flush=True); "
                                           "time.sleep(3600)", *hostile]})
    ok(repo.cli("up"))
    logged = wait_for(lambda: repo.log("echo").read_text(), what="the argv echo")
    assert logged.strip() == repr(hostile)  # every argument arrived literally
    for name in ("sub", "tick", "semi", "and", "pipe", "redir"):
        assert not (tmp_path / name).exists(), name
    # A command given as one string is refused, not handed to a shell.
    ok(repo.cli("down"))
    repo.plan({"name": "str", "command": "touch pwned; echo hi"})
    res = repo.cli("up")
    assert res.returncode == 2 and "'command' must be a non-empty list of strings" in res.stderr
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("name", ["../escape", "a/b", "/abs", ".hidden", "..", "", "x" * 200, "a\0b",
                                  "-rf"])
def test_service_names_cannot_leave_the_state_dir(repo, tmp_path, name):
    repo.plan(svc(name, "sleeper.py"))
    res = repo.cli("up")
    assert res.returncode == 2, res.stderr
    assert "invalid service name" in res.stderr or "name" in res.stderr
    no_traceback(res.stderr)
    outside = {p.name for p in tmp_path.parent.iterdir()}
    assert "escape" not in outside and not (tmp_path / "escape").exists()
    assert not (repo.state_dir / "logs").exists() or list((repo.state_dir / "logs").iterdir()) == []


@pytest.mark.parametrize("plugin_id", ["../x", "a/b", ".x", "x" * 200])
def test_plugin_ids_cannot_leave_the_state_dir(tmp_path, plugin_id):
    from tests.cli import run_cli

    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: {json.dumps(plugin_id)}\n    path: {json.dumps(sys.executable)}\n")
    res = run_cli("-C", str(tmp_path), "plan")
    assert res.returncode == 2 and ".devctl.yaml:2" in res.stderr and "invalid plugin id" in res.stderr
    no_traceback(res.stderr)


def inet(proc: psutil.Process) -> list:
    return [c for c in proc.net_connections(kind="inet")]


def test_devctl_opens_no_tcp_port_of_its_own(repo):
    port = free_port()
    repo.plan(svc("web", "http_health.py", str(port),
                  health={"type": "http", "url": f"http://127.0.0.1:{port}/health"}),
              svc("w", "sleeper.py"))
    ok(repo.cli("up"))
    sup = psutil.Process(repo.status()["supervisor"]["pid"])
    follower = repo.popen("logs", "-f")
    try:
        wait_for(lambda: follower.poll() is None and psutil.Process(follower.pid).cpu_times(), what="logs -f")
        for _ in range(10):  # sample across health probes (every 2 s once ready)
            listening = [c for c in inet(sup) if c.status == psutil.CONN_LISTEN or not c.raddr]
            assert listening == [], listening  # probes connect out; nothing listens or binds
            assert inet(psutil.Process(follower.pid)) == []
            unix = [c for c in sup.net_connections(kind="unix") if c.laddr]
            assert all(c.laddr.endswith("supervisor.sock") for c in unix), unix
            wait_for(lambda: True)
    finally:
        follower.terminate()
        follower.communicate(timeout=30)


def test_plugin_stdout_cannot_add_what_the_plan_does_not_say(repo, tmp_path):
    marker = tmp_path / "marker"
    marker.mkdir()
    planned = [sys.executable, str(Path(rel("escape.py")).parent.parent / "services" / "sleeper.py")]
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: evil\n    path: {json.dumps(sys.executable)}\n"
        f"    args: [{json.dumps(rel('evil_plugin.py'))}, {json.dumps(json.dumps(planned))}, "
        f"{json.dumps(str(marker))}]\n")
    res = repo.cli("up")
    no_traceback(res.stderr)
    if res.returncode == 0:  # the unsolicited frames were refused as warnings: only `good` runs
        snap = repo.status()
        assert [s["name"] for s in snap["services"]] == ["good"]
        assert snap["services"][0]["command"] == planned
        pid = snap["services"][0]["pid"]
        assert [p.cmdline() for p in psutil.Process(pid).children(recursive=True)] == []
    else:  # or the plugin was failed for them: then nothing runs at all
        assert "plugin 'evil'" in res.stderr
        assert repo.status()["services"] == []
    assert list(marker.iterdir()) == []
    for p in psutil.process_iter(["cmdline"]):
        assert f"{marker}/pwned" not in " ".join(p.info["cmdline"] or [])
    assert alive(os.getpid())
