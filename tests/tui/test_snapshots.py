"""Snapshot tests of the dashboard's main screens: each screen at a fixed size, on fixed fake
data, compared as text with `tests/tui/snapshots/<name>.txt` (see `tests/tui/screen.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import pytest
from textual.app import App

from devctl.tui.app import DevctlApp
from devctl.tui.context import TuiContext
from devctl.tui.dofek_view import DofekView
from tests.tui import fakes
from tests.tui.screen import assert_snapshot, mask, settled_text
from tests.unit.tui.host import Host

pytestmark = pytest.mark.anyio
AppT = TypeVar("AppT", bound=App[None])


def still(app: AppT) -> AppT:
    """No animation (the tabs' underline slides otherwise): every snapshot sees the end state."""
    app.animation_level = "none"
    return app


@pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
async def test_dofek_view(tmp_path: Path, size: tuple[int, int]) -> None:
    view = DofekView(TuiContext(tmp_path, None), live=False)
    async with still(Host(view)).run_test(size=size) as pilot:
        view.show(fakes.dofek_snapshot(), fakes.dofek_stderr())
        assert_snapshot(await settled_text(pilot), f"dofek-{size[0]}x{size[1]}")
        await pilot.press("e", "w")  # stderr tails on, the watchlist off
        assert_snapshot(await settled_text(pilot), f"dofek-stderr-{size[0]}x{size[1]}")


#: UPTIME cells: they move on with the clock.
UPTIME = r"\b\d+h\d\dm\b"


@pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])
async def test_services_view_in_the_dashboard(tmp_path: Path, size: tuple[int, int]) -> None:
    """The first screen: header, tabs, the services table, the selected service's details, keys."""
    root = tmp_path / "shop"  # the header names the repo by its directory
    root.mkdir()
    app = still(DevctlApp(TuiContext(root, None), feed=False))
    async with app.run_test(size=size) as pilot:
        app.deliver("state", fakes.status_snapshot(str(root)))
        app.deliver("usage", fakes.usage())
        name = f"services-{size[0]}x{size[1]}"
        assert_snapshot(mask(await settled_text(pilot), UPTIME), name)
        if size == (100, 30):
            await pilot.press("question_mark")
            assert_snapshot(mask(await settled_text(pilot), UPTIME), "help-services-100x30")
