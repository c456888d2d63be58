"""`devctl tui`'s services view against a real supervisor: one environment, every action.

The app runs headless (Textual's pilot) with its real feed — the supervisor's `watch` stream in
a thread — on a repo planned by the `sup_plan` fixture plugin. From a repo that is not up: `u`
runs `devctl up` as a child and the services appear; a service killed from outside shows up in
the table; `x`, `s`, `r` steer one service; `d` (confirmed) brings everything down. The
autouse orphan check proves nothing the dashboard started outlives it. Last, a supervisor
started from outside (another terminal's `devctl up`) is found and followed, and when it is
killed the services it leaves are named and `d` stops them.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import DataTable, Static

from devctl.tui.app import DevctlApp
from devctl.tui.context import TuiContext
from tests.cli import ok
from tests.reliability.harness import Repo, free_port, svc

pytestmark = pytest.mark.anyio


async def until(pilot: Any, check: Callable[[], Any], what: str | Callable[[], str],
                timeout: float = 30.0) -> Any:
    """Let the app run until `check()` is truthy (bounded), failing with `what` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        await pilot.pause(0.05)
    said = what if isinstance(what, str) else what()
    raise AssertionError(f"timed out after {timeout} s waiting for {said}")


def cell(app: DevctlApp, row: str, column: str) -> str | None:
    table = app.view("services").query_one(DataTable)
    try:
        return str(table.get_cell(row, column))
    except Exception:  # noqa: BLE001 - the row is not there (yet)
        return None


def select(app: DevctlApp, name: str) -> None:
    table = app.view("services").query_one(DataTable)
    table.move_cursor(row=table.get_row_index(name))


@pytest.fixture
def repo(tmp_path):
    r = Repo(tmp_path)
    yield r
    r.cli("down", "--timeout", "1")  # whatever happened, leave nothing running


@pytest.mark.timeout(180)
async def test_services_view_runs_a_whole_session_against_a_real_supervisor(repo):
    port = free_port()
    repo.plan(
        svc("web", "tcp_listen.py", str(port), health={"type": "tcp", "address": f"127.0.0.1:{port}"}),
        svc("worker", "sleeper.py", restart="no"),
    )
    app = DevctlApp(TuiContext(repo.root, repo.root / ".devctl.yaml"), sample_s=0.3)
    async with app.run_test(size=(120, 32)) as pilot:
        view = app.view("services")
        header = app.query_one("#header", Static)
        # Not up: the view offers `up`; `u` runs it as a child, its progress below the table.
        await until(pilot, lambda: "not running" in str(header.render()), "the header to say not running")
        assert "Press u to run `devctl up`" in str(view.query_one("#notup", Static).render())
        await pilot.press("u")
        await until(pilot, lambda: cell(app, "web", "state") == "healthy"
                    and cell(app, "worker", "state") == "running", "both services up, from the feed")
        await until(pilot, lambda: view.busy is None, "up to finish")
        assert any("2 service(s) ready" in line for line in view.activity), list(view.activity)
        assert cell(app, "web", "ports") == str(port) and "1/1" not in str(header.render())
        assert "2/2 up" in str(header.render())
        # CPU and RSS of each process group arrive from the sampler.
        await until(pilot, lambda: (cell(app, "worker", "rss") or "-") != "-", "the RSS of worker")
        assert not app.children_running  # `up` ended; the supervisor it started is not our child

        # Killed from outside: the table says so, without any key pressed.
        worker_pid = int(cell(app, "worker", "pid") or 0)
        os.kill(worker_pid, signal.SIGKILL)
        await until(pilot, lambda: cell(app, "worker", "state") in ("exited", "failed"),
                    lambda: f"worker shown exited (shows {cell(app, 'worker', 'state')})")
        select(app, "worker")
        await pilot.pause()
        assert "killed by SIGKILL" in str(view.query_one("#details", Static).render())

        # s starts it again (a new pid); x stops web; r restarts it.
        await pilot.press("s")
        await until(pilot, lambda: cell(app, "worker", "state") == "running", "worker started again")
        assert cell(app, "worker", "pid") != str(worker_pid)
        select(app, "web")
        await pilot.press("x")
        await until(pilot, lambda: cell(app, "web", "state") == "stopped", "web stopped")
        await until(pilot, lambda: view.busy is None, "stop to finish")
        await pilot.press("r")
        await until(pilot, lambda: cell(app, "web", "state") == "healthy", "web restarted")
        await until(pilot, lambda: view.busy is None, "restart to finish")
        assert app.exit_note() == "left 2 service(s) running (web, worker); `devctl down` stops them"

        # d asks first; y runs `devctl down`; the feed sees the supervisor go.
        await pilot.press("d")
        await pilot.press("y")
        await until(pilot, lambda: "not running" in str(header.render()), "the supervisor gone", 60)
        await until(pilot, lambda: view.busy is None, "down to finish")
        assert not (repo.root / ".devctl" / "supervisor.sock").exists()
        assert app.exit_note() == "nothing is running for this repo"

        # A supervisor started elsewhere (`devctl up` in another terminal) is found and followed.
        ok(repo.cli("up"))
        await until(pilot, lambda: "2/2 up" in str(header.render()), "the outside up seen")

        # The supervisor killed: its services still run; the view says so, and `d` cleans up.
        os.kill(app.snapshot["supervisor"]["pid"], signal.SIGKILL)
        await until(pilot, lambda: "its services may still run" in str(header.render()), "the stale warning")
        assert "web (healthy), worker (running)" in str(view.query_one("#notup", Static).render())
        await pilot.press("d")
        await pilot.press("y")
        await until(pilot, lambda: "not running (u: devctl up)" in str(header.render()), "the clean-up", 60)
        await until(pilot, lambda: view.busy is None, "down to finish")
    assert not app.children_running


def test_tui_needs_a_terminal(repo):
    res = repo.cli("tui")
    assert res.returncode == 2, res
    assert "devctl tui needs a terminal" in res.stderr and "Traceback" not in res.stderr
    assert sys.executable  # the CLI ran under this interpreter (tests.cli.run_cli)


@pytest.mark.timeout(120)
async def test_quitting_while_up_runs_stops_that_up_and_says_so(repo):
    port = free_port()
    repo.plan(svc("slow", "tcp_listen.py", str(port), "--delay", "60",
                  health={"type": "tcp", "address": f"127.0.0.1:{port}", "timeout_ms": 90_000}))
    app = DevctlApp(TuiContext(repo.root, repo.root / ".devctl.yaml"))
    async with app.run_test(size=(100, 30)) as pilot:
        header = app.query_one("#header", Static)
        await until(pilot, lambda: "not running" in str(header.render()), "the header to say not running")
        await until(pilot, lambda: any(b.region.width for b in app.view("services").query("#up-button")),
                    "the up button laid out")
        await pilot.click("#up-button")  # the mouse's way to `up`
        # `up` is waiting for the slow service: the supervisor it started is seen by the feed.
        await until(pilot, lambda: cell(app, "slow", "state") == "starting", "slow starting")
        assert [run.args[0] for run in app.children_running] == ["up"]
        up_pid = next(iter(app.children_running)).pid
    # Leaving the app stopped the `up` child (its SIGTERM handler stops what it started).
    assert app.stopped_children == ["up"]
    assert app.exit_note().startswith("stopped the `devctl up` that was still running")
    from devctl.procs.pids import pid_alive

    assert not pid_alive(up_pid)


@pytest.mark.timeout(120)
async def test_a_failing_up_says_why_and_starts_nothing(repo):
    (repo.root / "plan.json").write_text(json.dumps(
        {"services": [], "validate_errors": [{"code": "E_NO_DB", "message": "postgres is not installed"}]}))
    app = DevctlApp(TuiContext(repo.root, repo.root / ".devctl.yaml"))
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.view("services")
        await until(pilot, lambda: "not running" in str(app.query_one("#header", Static).render()),
                    "the header to say not running")
        await pilot.press("u")
        await until(pilot, lambda: view.busy is None and len(view.activity) > 1, "up to end")
        last = view.activity[-1]
        assert last.startswith("devctl up failed (exit 1): error: validation failed"), list(view.activity)
        assert "E_NO_DB: postgres is not installed" in last
        assert any("postgres is not installed" in str(n.message) for n in app._notifications)
        assert not app.children_running and app.snapshot is None
