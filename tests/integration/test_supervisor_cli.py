"""`devctl up/status/logs/down/stop/start/restart` as a user runs them, with real services.

Each repo gets the `sup_plan` fixture plugin, which plans whatever the test writes to
plan.json. Services are the small programs in testdata/services, on ports the OS picked.
The autouse orphan check (tests/conftest.py) proves each test leaves nothing running.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import ok, run_cli, spawn_cli, wait_for

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "testdata" / "plugins" / "sup_plan.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service(name: str, script: str, *args: str, **extra) -> dict:
    return {"name": name, "command": ["{python}", f"@{script}", *args], **extra}


class Repo:
    def __init__(self, root: Path):
        self.root = root

    def plan(self, *services: dict, validate_errors: list | None = None) -> Repo:
        data: dict = {"services": list(services)}
        if validate_errors:
            data["validate_errors"] = validate_errors
        (self.root / "plan.json").write_text(json.dumps(data))
        return self

    def cli(self, *args: str, timeout: float = 90):
        return run_cli("-C", str(self.root), *args, timeout=timeout)

    def status(self) -> dict:
        res = self.cli("status", "--json")
        return json.loads(res.stdout)

    def service(self, name: str) -> dict:
        return next(s for s in self.status()["services"] if s["name"] == name)

    def events(self) -> list[dict]:
        path = self.root / ".devctl" / "events.ndjson"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def log(self, name: str, stream: str = "stdout") -> Path:
        return self.root / ".devctl" / "logs" / f"{name}.{stream}.log"


def open_repo(tmp_path: Path):
    """A temp repo wired to the sup_plan plugin; `down` at the end whatever happened."""
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: sup\n    path: {sys.executable}\n"
        f"    args: [{json.dumps(str(PLUGIN))}, plan.json]\n"
    )
    r = Repo(tmp_path)
    yield r
    r.cli("down", "--timeout", "1")  # whatever the test did, leave nothing running


@pytest.fixture
def repo(tmp_path):
    yield from open_repo(tmp_path)


def test_up_status_logs_down(repo):
    web, tcp = free_port(), free_port()
    repo.plan(
        service("web", "http_health.py", str(web),
                health={"type": "http", "url": f"http://127.0.0.1:{web}/health"}),
        service("tcp", "tcp_listen.py", str(tcp), "--delay", "0.3", depends_on=["web"],
                health={"type": "tcp", "address": f"127.0.0.1:{tcp}"}),
        service("worker", "sleeper.py", env={"API_TOKEN": "hunter2", "MODE": "dev"}),
    )
    res = repo.cli("up")
    ok(res)
    assert "web" in res.stderr and "healthy in" in res.stderr and "3 service(s) ready" in res.stderr

    snap = repo.status()
    states = {s["name"]: s["state"] for s in snap["services"]}
    assert states == {"web": "healthy", "tcp": "healthy", "worker": "running"}
    assert snap["supervisor"]["running"] is True
    worker = next(s for s in snap["services"] if s["name"] == "worker")
    assert worker["env"] == {"API_TOKEN": "***", "MODE": "dev"}
    assert "hunter2" not in (repo.root / ".devctl" / "state.json").read_text()
    tcp_rec = next(s for s in snap["services"] if s["name"] == "tcp")
    web_rec = next(s for s in snap["services"] if s["name"] == "web")
    assert tcp_rec["started_at"] >= web_rec["ready_at"]  # depends_on: after web was ready
    assert tcp_rec["pgid"] == tcp_rec["pid"] and tcp_rec["create_time"]

    state_dir = repo.root / ".devctl"
    assert (state_dir / ".gitignore").read_text().strip() == "*"
    assert stat.S_IMODE((state_dir / "supervisor.sock").stat().st_mode) == 0o600
    ok(repo.cli("status"))

    res = repo.cli("logs")
    ok(res)
    assert "web    | listening on" in res.stdout and "worker | sleeping" in res.stdout
    res = repo.cli("logs", "--service", "tcp", "--stdout", "-n", "1")
    assert res.stdout.strip() == f"listening on 127.0.0.1:{tcp}"
    assert repo.cli("logs", "nope").returncode == 2

    pids = [s["pid"] for s in snap["services"]]
    res = repo.cli("down")
    ok(res)
    assert "stopped 3 services" in res.stderr
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not (state_dir / "supervisor.sock").exists() and not (state_dir / "state.json").exists()
    assert not (state_dir / "supervisor.lock").exists()
    assert repo.log("web").exists()  # logs are kept
    stops = [e["service"] for e in repo.events() if e["event"] == "stopped"]
    assert stops.index("tcp") < stops.index("web")  # reverse dependency order

    res = repo.cli("down")
    ok(res)
    assert "nothing running" in res.stderr
    assert repo.cli("status").returncode == 3
    res = repo.cli("logs", "worker")  # logs work after everything stopped
    assert "sleeping" in res.stdout


def test_already_up_then_force_and_stop_start_restart(repo):
    port = free_port()
    repo.plan(
        service("web", "http_health.py", str(port),
                health={"type": "http", "url": f"http://127.0.0.1:{port}/health"}),
        service("worker", "sleeper.py", depends_on=["web"]),
    )
    ok(repo.cli("up"))
    res = repo.cli("up")  # already up, same plan: nothing to do (tests/integration/test_up_apply.py)
    ok(res)
    assert "already up to date" in res.stderr

    ok(repo.cli("stop", "worker"))
    assert repo.service("worker")["state"] == "stopped"
    assert repo.cli("status").returncode == 3
    ok(repo.cli("start", "worker"))
    assert repo.service("worker")["state"] == "running"

    old = repo.service("web")["pid"]
    res = repo.cli("restart", "web")
    ok(res)
    assert "web" in res.stderr and repo.service("web")["pid"] != old
    assert repo.cli("stop", "nope").returncode == 1

    res = repo.cli("up", "--force")
    ok(res)
    assert repo.cli("status").returncode == 0


def test_force_with_a_broken_plan_keeps_what_runs(repo):
    port = free_port()
    repo.plan(service("web", "http_health.py", str(port),
                      health={"type": "http", "url": f"http://127.0.0.1:{port}/health"}))
    ok(repo.cli("up"))
    pid = repo.service("web")["pid"]
    repo.plan(service("web", "sleeper.py", depends_on=["nope"]))
    res = repo.cli("up", "--force")
    assert res.returncode == 2 and "nope" in res.stderr
    assert repo.service("web")["pid"] == pid and repo.cli("status").returncode == 0
    ok(repo.cli("down"))


def test_dry_run_starts_nothing(repo):
    repo.plan(service("web", "sleeper.py", env={"DB_PASSWORD": "x"}))
    res = repo.cli("up", "--dry-run")
    ok(res)
    assert "web" in res.stdout and "sleeper.py" in res.stdout and "DB_PASSWORD=***" in res.stdout
    assert not (repo.root / ".devctl" / "state.json").exists()
    assert repo.cli("status").returncode == 3


def test_validation_errors_grouped_by_plugin(repo):
    repo.plan(service("web", "sleeper.py"),
              validate_errors=[{"code": "E_TOOL", "message": "missing tool: pnpm"}])
    res = repo.cli("up")
    assert res.returncode == 1
    assert "validation failed" in res.stderr
    assert "sup:" in res.stderr and "E_TOOL: missing tool: pnpm" in res.stderr
    assert not (repo.root / ".devctl" / "state.json").exists()


@pytest.mark.parametrize(
    ("services", "message"),
    [
        ([service("a", "sleeper.py", depends_on=["ghost"])], "'ghost'"),
        ([service("a", "sleeper.py", depends_on=["b"]), service("b", "sleeper.py", depends_on=["a"])],
         "cycle"),
    ],
)
def test_bad_dependencies_are_config_errors(repo, services, message):
    repo.plan(*services)
    res = repo.cli("up")
    assert res.returncode == 2 and message in res.stderr, res.stderr
    assert not (repo.root / ".devctl" / "state.json").exists()


def test_missing_command_fails_before_anything_starts(repo):
    repo.plan(service("ok", "sleeper.py"), {"name": "broken", "command": ["no-such-program-xyz"]})
    res = repo.cli("up")
    assert res.returncode == 1
    assert "service 'broken': no-such-program-xyz: command not found" in res.stderr
    assert not repo.log("ok").exists()  # nothing was started


def test_health_port_already_taken_names_the_holder(repo):
    port = free_port()
    squatter = subprocess.Popen([sys.executable, str(ROOT / "testdata/services/tcp_listen.py"), str(port)],
                                stdout=subprocess.PIPE)
    try:
        assert squatter.stdout.readline()  # "starting"
        assert squatter.stdout.readline()  # "listening"
        repo.plan(service("db", "tcp_listen.py", str(port),
                          health={"type": "tcp", "address": f"127.0.0.1:{port}"}))
        res = repo.cli("up")
        assert res.returncode == 1
        expected = f"service 'db': health port 127.0.0.1:{port} is already in use by pid {squatter.pid}"
        assert expected in res.stderr
    finally:
        squatter.kill()
        squatter.wait()


def test_attach_streams_output_and_ctrl_c_stops_everything(repo):
    repo.plan(service("a", "sleeper.py"), service("b", "numbered_lines.py", "3"))
    seen = []
    with spawn_cli("-C", str(repo.root), "up", "-a", stdin=None) as proc:
        for line in proc.stdout:
            seen.append(line.rstrip("\n"))
            if "b | line 3" in seen and "a | sleeping" in seen:
                break
        wait_for(lambda: repo.cli("status").returncode == 0, what="services ready")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
    assert "b | line 1" in seen and "a | sleeping" in seen
    assert repo.cli("status").returncode == 3
    assert not (repo.root / ".devctl" / "state.json").exists()


def test_attach_shows_only_this_run_and_sigterm_stops_everything(repo):
    """Regression: `up -a` printed a waiting service's previous-run log as if it were new, and a
    SIGTERM to the attached session left the supervisor and every service running."""
    repo.plan(service("b", "numbered_lines.py", "7"))
    assert repo.cli("up").returncode == 0
    assert repo.cli("down").returncode == 0
    repo.plan(service("a", "sleeper.py"), service("b", "numbered_lines.py", "2", depends_on=["a"]))
    seen = []
    with spawn_cli("-C", str(repo.root), "up", "-a", stdin=None) as proc:
        for line in proc.stdout:
            seen.append(line.rstrip("\n"))
            if "b | line 2" in seen:
                break
        wait_for(lambda: repo.cli("status").returncode == 0, what="services ready")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 130
    assert "b | line 7" not in seen, seen
    assert repo.cli("status").returncode == 3
    assert not (repo.root / ".devctl" / "state.json").exists()
