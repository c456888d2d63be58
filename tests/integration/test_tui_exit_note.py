"""What `devctl tui` says on exit when its feed has not (yet) seen the supervisor.

Found by hand in tmux on examples/dashboard: `u` then `q` at once printed "stopped the `devctl
up` that was still running" and "nothing is running for this repo" while the five services that
`up` had started were running (the feed had not connected to the new supervisor before the
quit). The same happens when quitting before the feed's first look. What the exit line says
must come from the supervisor as it is when the dashboard closes."""

from __future__ import annotations

import pytest

from devctl.tui.app import DevctlApp
from devctl.tui.context import TuiContext
from tests.cli import ok
from tests.reliability.harness import Repo, svc

pytestmark = pytest.mark.anyio


@pytest.fixture
def repo(tmp_path):
    r = Repo(tmp_path)
    yield r
    r.cli("down", "--timeout", "1")


@pytest.mark.timeout(120)
async def test_the_exit_line_names_what_runs_even_if_the_feed_never_saw_it(repo):
    repo.plan(svc("worker", "sleeper.py"))
    app = DevctlApp(TuiContext(repo.root, repo.root / ".devctl.yaml"), feed=False)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.snapshot is None  # nothing seen: the feed is off, as before its first look
        ok(repo.cli("up"))  # an `up` the dashboard did not see finish (or another terminal's)
        await pilot.press("q")
    assert app.snapshot is None
    assert app.exit_note() == "left 1 service(s) running (worker); `devctl down` stops them"
    ok(repo.cli("down"))
    assert app.exit_note() == "nothing is running for this repo"
