"""`status`, `down`, `plan` and `up` end without the interpreter's teardown (cli/teardown.py
`exit_at_once`) when nothing needs it, and with it when something does (an atexit handler,
another thread, `main([...])` called by code that wants its SystemExit back). Their output and
exit code are the same either way.

The probe runs under `python -v`, whose teardown names each module it clears ("# cleanup[");
`os._exit` clears none."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_supervisor_cli import service

PROBE = r"""
import os, sys
setup = sys.argv[1]
if setup == "atexit":
    import atexit
    atexit.register(lambda: os.write(2, b"\nATEXIT RAN\n"))
elif setup == "thread":
    import threading
    threading.Thread(target=threading.Event().wait, daemon=True).start()
sys.argv = ["devctl", *sys.argv[2:]]
from devctl.cli.main import main
if setup == "caller":
    try:
        main(sys.argv[1:])
    except SystemExit as exc:
        os.write(2, b"\nCALLER GOT %d\n" % exc.code)
        raise
else:
    main()
"""


TEARDOWN = "# cleanup["


def run(tmp_path: Path, setup: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-v", "-c", PROBE, setup, "-C", str(tmp_path), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", [["status", "--json"], ["status"], ["down"]])
def test_as_the_program_it_skips_the_teardown(tmp_path: Path, command: list[str]) -> None:
    res = run(tmp_path, "plain", *command)
    assert TEARDOWN not in res.stderr
    if command == ["status", "--json"]:
        assert res.returncode == 3  # nothing running: status's exit code, kept
        assert json.loads(res.stdout)["supervisor"]["running"] is False  # all of it, flushed
    elif command == ["status"]:
        assert res.returncode == 3 and "nothing running" in res.stderr
    else:
        assert res.returncode == 0 and "nothing running" in res.stdout + res.stderr


@pytest.mark.parametrize("setup", ["atexit", "thread", "caller"])
def test_the_teardown_runs_when_something_needs_it(tmp_path: Path, setup: str) -> None:
    res = run(tmp_path, setup, "status", "--json")
    assert res.returncode == 3 and json.loads(res.stdout)["supervisor"]["running"] is False
    assert TEARDOWN in res.stderr
    if setup == "atexit":
        assert "ATEXIT RAN" in res.stderr
    if setup == "caller":
        assert "CALLER GOT 3" in res.stderr


@pytest.mark.parametrize("command", [["plan", "--json"], ["plan"], ["up"]])
def test_plan_and_up_skip_it_too_once_their_plugins_are_closed(tmp_path: Path, command: list[str]) -> None:
    """`plan` and `up` end at once as well (cli/fastpath.py `_at_once`): their plugins were
    closed and reaped, their files written, their output flushed; `up` waited for its service
    to be ready, which it leaves to the supervisor (stopped here with `down`)."""
    plugin = Path(__file__).resolve().parents[2] / "testdata" / "plugins" / "sup_plan.py"
    (tmp_path / "plan.json").write_text(json.dumps({"services": [service("web", "sleeper.py")]}))
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: plan\n    path: {json.dumps(sys.executable)}\n"
        f"    args: [{json.dumps(str(plugin))}, plan.json]\n")
    try:
        res = run(tmp_path, "plain", *command)
    finally:
        subprocess.run([sys.executable, "-m", "devctl", "-C", str(tmp_path), "down"],
                       capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr[-2000:]
    assert TEARDOWN not in res.stderr
    if command == ["plan", "--json"]:
        assert [s["name"] for s in json.loads(res.stdout)["services"]] == ["web"]  # all of it, flushed
    elif command == ["up"]:
        assert "1 service(s) ready" in res.stdout + res.stderr
