"""Snapshot tests of the dashboard's main screens: each screen at a fixed size, on fixed fake
data, compared as text with `tests/tui/snapshots/<name>.txt` (see `tests/tui/screen.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widget import Widget

from devctl.tui.app import DevctlApp
from devctl.tui.context import TuiContext
from devctl.tui.dofek_view import DofekView
from tests.tui import fakes
from tests.tui.screen import assert_snapshot, mask, screen_text

pytestmark = pytest.mark.anyio


class Host(App[None]):
    """One view, full screen, focused: what the dashboard shows under its header."""

    def __init__(self, view: Widget) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        yield self.view

    def on_mount(self) -> None:
        self.view.focus()


@pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
async def test_dofek_view(tmp_path: Path, size: tuple[int, int]) -> None:
    view = DofekView(TuiContext(tmp_path, None), live=False)
    async with Host(view).run_test(size=size) as pilot:
        view.show(fakes.dofek_snapshot(), fakes.dofek_stderr())
        await pilot.pause()
        assert_snapshot(screen_text(pilot.app), f"dofek-{size[0]}x{size[1]}")
        await pilot.press("e", "w")  # stderr tails on, the watchlist off
        await pilot.pause()
        assert_snapshot(screen_text(pilot.app), f"dofek-stderr-{size[0]}x{size[1]}")


#: UPTIME cells: they move on with the clock.
UPTIME = r"\b\d+h\d\dm\b"


@pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
async def test_services_view_in_the_dashboard(tmp_path: Path, size: tuple[int, int]) -> None:
    """The first screen: header, tabs, the services table, the selected service's details, keys."""
    root = tmp_path / "shop"  # the header names the repo by its directory
    root.mkdir()
    app = DevctlApp(TuiContext(root, None), feed=False)
    async with app.run_test(size=size) as pilot:
        app.deliver("state", fakes.status_snapshot(str(root)))
        app.deliver("usage", fakes.usage())
        await pilot.pause()
        name = f"services-{size[0]}x{size[1]}"
        assert_snapshot(mask(screen_text(app), UPTIME), name)
        if size == (100, 30):
            await pilot.press("question_mark")
            await pilot.pause()
            assert_snapshot(mask(screen_text(app), UPTIME), "help-services-100x30")
