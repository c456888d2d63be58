"""Small helpers shared by the reliability tests: a temp repo planned by a fixture plugin,
the real CLI, bounded polling, and "is anything of this left?" checks.

Services in a plan are written as `["{python}", "@script.py", ...]`: the `sup_plan` fixture
plugin expands `{python}` to the interpreter and `@name` to testdata/services/name. Scripts of
this suite live in testdata/reliability/ and are passed as absolute paths (see `rel`); the
drivers that run many trials in one process live apart, in tests/reliability/drivers/ (see `driver`).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from devctl.procs.pids import pid_alive
from tests.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT / "testdata"
RELDATA = TESTDATA / "reliability"
DRIVERS = Path(__file__).resolve().parent / "drivers"
SUP_PLAN = TESTDATA / "plugins" / "sup_plan.py"


def rel(script: str) -> str:
    """Absolute path of a fixture program in testdata/reliability/."""
    return str(RELDATA / script)


def driver(script: str) -> str:
    """Absolute path of a trial driver in tests/reliability/drivers/."""
    return str(DRIVERS / script)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def svc(name: str, script: str, *args: str, **extra: Any) -> dict[str, Any]:
    """A planned service running `script` (testdata/services/ name, or an absolute path)."""
    target = script if script.startswith("/") else f"@{script}"
    return {"name": name, "command": ["{python}", target, *args], **extra}


def alive(pid: int, created: float | None = None) -> bool:
    """Running, not a zombie, and (if given) started at `created`: devctl's own liveness rule."""
    return pid_alive(pid, created)


class Repo:
    """A temp repo whose one plugin plans what `plan()` last wrote to plan.json."""

    def __init__(self, root: Path):
        self.root = root
        (root / ".devctl.yaml").write_text(
            f"plugins:\n  - id: sup\n    path: {json.dumps(sys.executable)}\n"
            f"    args: [{json.dumps(str(SUP_PLAN))}, plan.json]\n"
        )

    @property
    def state_dir(self) -> Path:
        return self.root / ".devctl"

    def plan(self, *services: dict[str, Any]) -> Repo:
        (self.root / "plan.json").write_text(json.dumps({"services": list(services)}))
        return self

    def cli(self, *args: str, timeout: float = 90, env: dict[str, str] | None = None):
        return run_cli("-C", str(self.root), *args, timeout=timeout, env=env)

    def popen(self, *args: str, **kw: Any) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "devctl", "-C", str(self.root), *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)

    def status(self) -> dict[str, Any]:
        return json.loads(self.cli("status", "--json").stdout)

    def services(self) -> dict[str, dict[str, Any]]:
        return {s["name"]: s for s in self.status()["services"]}

    def log(self, name: str, stream: str = "stdout") -> Path:
        return self.state_dir / "logs" / f"{name}.{stream}.log"

    def events(self) -> list[dict[str, Any]]:
        path = self.state_dir / "events.ndjson"
        return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []

    def leftovers(self) -> list[str]:
        """Supervisor files that must not outlive `down`."""
        return [p for p in ("state.json", "supervisor.sock", "supervisor.lock")
                if (self.state_dir / p).exists()]


def no_traceback(text: str) -> None:
    assert "Traceback" not in text, text
