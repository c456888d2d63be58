"""Quitting the dashboard: what it stops and what its exit line says.

Both were found by hand in tmux on examples/dashboard:
- `u`, then `q` while services were starting, printed "stopped the `devctl up` that was still
  running" and every service came up anyway: the dashboard stops its `up` child with SIGTERM, and
  `up` died of it (exit 143) instead of treating it as Ctrl-C ("stops what it started and exits
  130", docs/cli.md);
- `u` then `q` at once printed "nothing is running for this repo" while the services that `up`
  had started ran (the feed had not connected to the new supervisor before the quit). What the
  exit line says must come from the supervisor as it is when the dashboard closes.
"""

from __future__ import annotations

import pytest

from devctl.supervisor.paths import Paths, supervisor_alive
from devctl.tui.app import DevctlApp
from devctl.tui.context import TuiContext
from tests.cli import ok, wait_for
from tests.integration.test_tui_services import cell, until
from tests.reliability.harness import Repo, free_port, svc

pytestmark = pytest.mark.anyio


@pytest.fixture
def repo(tmp_path):
    r = Repo(tmp_path)
    yield r
    r.cli("down", "--timeout", "1")


def dashboard(repo: Repo, *, feed: bool = True) -> DevctlApp:
    return DevctlApp(TuiContext(repo.root, repo.root / ".devctl.yaml"), feed=feed)


@pytest.mark.timeout(120)
async def test_quitting_while_up_waits_stops_what_that_up_started(repo):
    port = free_port()
    repo.plan(svc("slow", "tcp_listen.py", str(port), "--delay", "60",
                  health={"type": "tcp", "address": f"127.0.0.1:{port}", "timeout_ms": 90_000}))
    app = dashboard(repo)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.connected is False, "the feed to see no supervisor")
        await pilot.press("u")
        await until(pilot, lambda: cell(app, "slow", "state") == "starting", "slow starting")
    assert app.stopped_children == ["up"]
    paths = Paths(repo.root)
    wait_for(lambda: not supervisor_alive(paths.lock), timeout=30, what="the supervisor to stop")
    assert "nothing is running" in app.exit_note()


@pytest.mark.timeout(120)
async def test_the_exit_line_names_what_runs_even_if_the_feed_never_saw_it(repo):
    repo.plan(svc("worker", "sleeper.py"))
    app = dashboard(repo, feed=False)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.snapshot is None  # nothing seen: the feed is off, as before its first look
        ok(repo.cli("up"))  # an `up` the dashboard did not see finish (or another terminal's)
        await pilot.press("q")
    assert app.snapshot is None
    assert app.exit_note() == "left 1 service(s) running (worker); `devctl down` stops them"
    ok(repo.cli("down"))
    assert app.exit_note() == "nothing is running for this repo"
