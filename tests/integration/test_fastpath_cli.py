"""The typer-free fast paths (`devctl.cli.fastpath.SHAPES`) through the real CLI: for every shape,
the fast path and the typer path print the same thing and exit with the same code.

`-v` before the command forces the typer path (a global option other than `-C` is not a fast
shape) and changes nothing that these commands print.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from devctl.cli.fastpath import SHAPES
from tests.cli import ok, run_cli

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "testdata" / "plugins" / "sup_plan.py"


def both(root: Path, *words: str, env: dict[str, str] | None = None):
    """(fast, typer) runs of `devctl -C ROOT WORDS...`."""
    return (run_cli("-C", str(root), *words, env=env), run_cli("-C", str(root), "-v", *words, env=env))


def same(fast, slow) -> None:
    assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr)


def same_but_durations(fast, slow) -> None:
    """As `same`, with the durations in progress lines (`answered in 0.02 s`) masked."""
    def masked(text: str) -> str:
        return re.sub(r"\d+\.\d+ s\b", "T s", text)

    assert (fast.returncode, fast.stdout, masked(fast.stderr)) == (
        slow.returncode, slow.stdout, masked(slow.stderr))


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    return int(proc.stdout)


def stale_state(root: Path) -> None:
    """What a supervisor that died leaves: a recorded service whose process is gone."""
    state_dir = root / ".devctl"
    state_dir.mkdir(mode=0o700, exist_ok=True)
    pid = dead_pid()
    record = {"name": "web", "state": "running", "pid": pid, "pgid": pid, "create_time": 1000.0,
              "started_at": 1000.0, "restarts": 0, "logs": {}, "health": None, "error": "",
              "depends_on": [], "stop_signal": "SIGTERM", "stop_timeout_ms": 300, "descendants": []}
    state = {"version": 1, "supervisor": {"pid": pid, "create_time": 1000.0, "run_id": ""},
             "services": [record]}
    (state_dir / "state.json").write_text(json.dumps(state))


#: Which test below covers each shape: a new shape in SHAPES needs a comparison here.
COVERED = {("status", "--json"): "test_status_json_agrees", ("status",): "test_status_table_agrees",
           ("down",): "test_down_agrees", ("tui",): "test_tui_agrees", ("plan",): "test_plan_agrees",
           ("plan", "--json"): "test_plan_agrees", ("up",): "test_up_agrees"}


def test_every_shape_has_a_comparison():
    assert set(SHAPES) == set(COVERED)


def test_status_json_agrees(tmp_path):
    fast, slow = both(tmp_path, "status", "--json")
    same(fast, slow)
    assert fast.returncode == 3 and '"services": []' in fast.stdout


def test_status_table_agrees(tmp_path):
    fast, slow = both(tmp_path, "status")
    same(fast, slow)
    assert fast.returncode == 3 and "nothing running" in fast.stderr

    stale_state(tmp_path)
    for env in ({"NO_COLOR": "1"}, {"NO_COLOR": "", "FORCE_COLOR": "1"}):
        fast, slow = both(tmp_path, "status", env=env)
        same(fast, slow)
        assert fast.returncode == 3 and "web" in fast.stdout and "exited" in fast.stdout
        assert "the supervisor is not running" in fast.stderr
    assert "\x1b[" in fast.stdout  # FORCE_COLOR: styled, the same way on both paths

    (tmp_path / ".devctl" / "state.json").write_text("[1, 2")  # unreadable: one error, exit 1
    fast, slow = both(tmp_path, "status")
    same(fast, slow)
    assert fast.returncode == 1 and fast.stderr.startswith("error: ") and "Traceback" not in fast.stderr


def test_down_agrees(tmp_path):
    fast, slow = both(tmp_path, "down")
    same(fast, slow)
    assert fast.returncode == 0 and "nothing running" in fast.stderr

    twins = [tmp_path / "a", tmp_path / "b"]
    for twin in twins:
        twin.mkdir()
        stale_state(twin)
    fast = run_cli("-C", str(twins[0]), "down")
    slow = run_cli("-C", str(twins[1]), "-v", "down")
    same(fast, slow)
    assert fast.returncode == 0 and "stopped 1 service" in fast.stderr
    assert not (twins[0] / ".devctl" / "state.json").exists()


TESTDATA = ROOT / "testdata" / "plugins"


def test_plugin_command_agrees(tmp_path):
    """A cached plugin command (cli/fastpath.plugin_command) against the typer command, which
    `--timeout` forces (it is not taken by the fast path): same output, same exit code, with
    and without the global options the fast path takes."""
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: echo\n    path: {sys.executable}\n"
        f"    args: [{json.dumps(str(TESTDATA / 'cmd_echo.py'))}]\n")
    ok(run_cli("plugins", "list", cwd=tmp_path))  # a warm cache
    for words in (["echo-args", "--exit", "3", "-v", "--", "--help", "x y"],
                  ["--dry-run", "--strict", "echo-args", "a"], ["-v", "echo-args"]):
        fast = run_cli("-C", str(tmp_path), *words)
        slow = run_cli("-C", str(tmp_path), "--timeout", "60", *words)
        same(fast, slow)
    assert fast.returncode == 0 and fast.stdout == "argv=[]\n"
    code = run_cli("-C", str(tmp_path), "echo-args", "--exit", "3")
    assert code.returncode == 3


def test_tui_agrees(tmp_path):
    """Without a terminal (as here) both paths refuse the same way: one error, exit 2."""
    (tmp_path / "other.yaml").write_text("plugins: []\n")
    for words in (["tui"], ["--config", "other.yaml", "tui"]):
        fast, slow = both(tmp_path, *words)
        same(fast, slow)
        assert fast.returncode == 2 and "devctl tui needs a terminal" in fast.stderr
        assert "Traceback" not in fast.stderr


def test_plan_agrees(tmp_path):
    """`plan` and `plan --json` against the typer command (forced by `--timeout`, which the fast
    path does not take): the same output and exit code, with the pipeline's global options,
    and the same error for a broken config."""
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: sup\n    path: {sys.executable}\n"
        f"    args: [{json.dumps(str(PLUGIN))}, plan.json]\n")
    web = {"name": "web", "command": ["{python}", "@sleeper.py"], "env": {"API_TOKEN": "x"}}
    (tmp_path / "plan.json").write_text(json.dumps({"services": [web]}))
    for words in (["plan", "--json"], ["plan"], ["--strict", "-v", "--dry-run", "plan", "--json"]):
        fast = run_cli("-C", str(tmp_path), *words)
        slow = run_cli("-C", str(tmp_path), "--timeout", "30", *words)
        same_but_durations(fast, slow)
        assert fast.returncode == 0 and "web" in fast.stdout
    assert json.loads(fast.stdout)["services"][0]["env"]["API_TOKEN"] == "***"
    (tmp_path / ".devctl.yaml").write_text("plugins: [\n")
    fast = run_cli("-C", str(tmp_path), "plan", "--json")
    slow = run_cli("-C", str(tmp_path), "--timeout", "30", "plan", "--json")
    same(fast, slow)
    assert fast.returncode == 2 and fast.stderr.startswith("error: ")


def test_up_agrees(tmp_path):
    """A bare `up` against the typer command (forced by `--timeout`): the same output and exit
    code for a good plan (each run stopped with `down`) and for a plan with a failing service."""
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: sup\n    path: {sys.executable}\n"
        f"    args: [{json.dumps(str(PLUGIN))}, plan.json]\n")
    web = {"name": "web", "command": ["{python}", "@sleeper.py"]}
    (tmp_path / "plan.json").write_text(json.dumps({"services": [web]}))
    runs = []
    for words in (["up"], ["--timeout", "30", "up"]):
        runs.append(run_cli("-C", str(tmp_path), *words))
        ok(run_cli("-C", str(tmp_path), "down"))
    same_but_durations(*runs)
    assert runs[0].returncode == 0 and "1 service(s) ready" in runs[0].stderr
    bad = {"name": "web", "command": ["{python}", "-c", "import sys; sys.exit(4)"]}
    (tmp_path / "plan.json").write_text(json.dumps({"services": [bad]}))
    fast = run_cli("-C", str(tmp_path), "up")
    slow = run_cli("-C", str(tmp_path), "--timeout", "30", "up")
    same_but_durations(fast, slow)
    assert fast.returncode == 1 and "web" in fast.stderr


def test_bad_root_falls_back_to_typer_error(tmp_path):
    for words in SHAPES:
        res = run_cli("-C", str(tmp_path / "missing"), *words)
        assert res.returncode == 2 and "does not exist" in res.stderr, words


def without_uptime(table: str) -> str:
    """The table with its one moving column (UPTIME, e.g. `4.9 s`) masked, spacing collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"\b\d+(\.\d+)? ?(ms|s|m|h|d)\b", "T", table))


def test_live_supervisor_status_and_down(tmp_path):
    """With a supervisor and a real service: status reads the same on both paths, and the fast
    `down` stops it all."""
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: sup\n    path: {sys.executable}\n"
        f"    args: [{json.dumps(str(PLUGIN))}, plan.json]\n")
    sleeper = {"name": "worker", "command": ["{python}", "@sleeper.py"]}
    (tmp_path / "plan.json").write_text(json.dumps({"services": [sleeper]}))
    try:
        ok(run_cli("-C", str(tmp_path), "up"))
        pid = json.loads(run_cli("-C", str(tmp_path), "status", "--json").stdout)["services"][0]["pid"]
        fast, slow = both(tmp_path, "status")
        assert fast.returncode == slow.returncode == 0
        assert without_uptime(fast.stdout) == without_uptime(slow.stdout)
        assert fast.stderr == slow.stderr == ""
        assert "worker" in fast.stdout and "running" in fast.stdout
        res = run_cli("-C", str(tmp_path), "down")
        ok(res)
        assert "stopped 1 service" in res.stderr
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    finally:
        run_cli("-C", str(tmp_path), "down", "--timeout", "1")
