"""`devctl up --attach`: how an attached session ends (Ctrl-C, its supervisor dying).

Real services from small inline programs; the autouse orphan check proves nothing survives.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.cli import spawn_cli, wait_for
from tests.integration.test_supervisor_cli import open_repo

# Says goodbye on SIGTERM: the line an attached user must see while it stops.
POLITE = ("import signal, sys, time\n"
          "def bye(*_):\n    print('bye from ' + sys.argv[1], flush=True)\n    sys.exit(0)\n"
          "signal.signal(signal.SIGTERM, bye)\nprint('hello from ' + sys.argv[1], flush=True)\n"
          "time.sleep(600)\n")


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    yield from open_repo(root)


def polite(name: str) -> dict:
    return {"name": name, "command": ["{python}", "-c", POLITE, name]}


def _read_until(proc, wanted: set[str], seen: list[str]) -> None:
    for line in proc.stdout:
        seen.append(line.rstrip("\n"))
        if wanted <= {s.split("| ", 1)[-1] for s in seen}:
            return


def test_ctrl_c_shows_the_services_last_lines_and_how_many_stopped(repo):
    repo.plan(polite("a"), polite("b"))
    seen: list[str] = []
    with spawn_cli("-C", str(repo.root), "up", "-a", stdin=None) as proc:
        _read_until(proc, {"hello from a", "hello from b"}, seen)
        wait_for(lambda: repo.cli("status").returncode == 0, what="services ready")
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
    lines = seen + rest.splitlines()
    assert any(line.endswith("| bye from a") for line in lines), lines
    assert any(line.endswith("| bye from b") for line in lines), lines
    assert "stopped 2 services" in err
    assert repo.cli("status").returncode == 3


def test_supervisor_dying_under_attach_stops_the_services_and_exits_1(repo):
    repo.plan(polite("a"))
    seen: list[str] = []
    with spawn_cli("-C", str(repo.root), "up", "-a", stdin=None) as proc:
        _read_until(proc, {"hello from a"}, seen)
        wait_for(lambda: repo.cli("status").returncode == 0, what="services ready")
        state = json.loads((repo.root / ".devctl" / "state.json").read_text())
        service_pid = state["services"][0]["pid"]
        os.kill(state["supervisor"]["pid"], signal.SIGKILL)
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 1, err
    assert "the supervisor died" in err and "stopped 1 service" in err
    wait_for(lambda: not Path(f"/proc/{service_pid}").exists() or _zombie(service_pid),
             what="the service stopped")
    assert repo.cli("status").returncode == 3


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
