"""Snapshot of the logs view in the dashboard (see tests/tui/screen.py): every service merged by
time with prefixes, then one service with a filter, at the two sizes the others use."""

from __future__ import annotations

from pathlib import Path

import pytest

from devctl.supervisor.logfiles import format_ts
from devctl.tui.app import DevctlApp
from devctl.tui.context import TuiContext
from devctl.tui.logs_view import LogsView
from tests.tui import fakes
from tests.tui.screen import assert_snapshot, settled_text

pytestmark = pytest.mark.anyio

#: A fixed moment, so the stamps (and the order by time) are the same on every run.
T0 = 1_800_000_000.0


def write_logs(root: Path) -> None:
    logs = root / ".devctl" / "logs"
    logs.mkdir(parents=True)
    web = [f"GET /items/{i} 200 {3 + i % 5} ms" for i in range(40)]
    (logs / "web.stdout.log").write_text(
        "".join(format_ts(T0 + 2 * i) + line + "\n" for i, line in enumerate(web)))
    (logs / "worker.stdout.log").write_text(
        "".join(format_ts(T0 + 2 * i + 1) + f"job {i} done in 0.{i % 9}s\n" for i in range(40)))
    (logs / "db.stderr.log").write_text(
        format_ts(T0 + 70.5) + "ERROR: could not bind to 127.0.0.1:5432: address in use\n"
        + format_ts(T0 + 75.5) + "FATAL: shutting down\n")


async def shown(pilot, view: LogsView, what) -> None:
    """Let the view's reads land (they run in worker threads)."""
    for _ in range(500):
        if what():
            return
        await pilot.pause(0.01)
    raise AssertionError("the logs view did not load")


@pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
async def test_logs_view_in_the_dashboard(tmp_path: Path, size: tuple[int, int]) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    write_logs(root)
    app = DevctlApp(TuiContext(root, None, no_color=True), feed=False)
    async with app.run_test(size=size) as pilot:
        app.deliver("state", fakes.status_snapshot(str(root)))
        await pilot.press("2")
        view = app.query_one(LogsView)
        await shown(pilot, view, lambda: len(view.window.lines) == 82)
        assert_snapshot(await settled_text(pilot), f"logs-{size[0]}x{size[1]}")
        await app.show_logs("web")
        await pilot.press("ampersand", *"/items/1", "enter")
        await shown(pilot, view, lambda: view.filter_text and len(view.window.lines) == 11)
        assert_snapshot(await settled_text(pilot), f"logs-filter-{size[0]}x{size[1]}")
