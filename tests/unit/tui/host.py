"""A tiny app that hosts one view, for view-only pilot tests (the real shell is devctl.tui.app)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widget import Widget

from tests.tui.screen import wait_until


class Host(App[None]):
    def __init__(self, view: Widget) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        yield self.view

    def on_mount(self) -> None:
        self.view.focus()


def drive(view: Widget, scenario: Callable[[Pilot[None], Any], Awaitable[None]],
          size: tuple[int, int] = (100, 30)) -> None:
    """Run `scenario(pilot, view)` against `view` hosted headless, the way the suite runs async code."""

    async def main() -> None:
        app = Host(view)
        async with app.run_test(size=size) as pilot:
            await scenario(pilot, view)

    anyio.run(main)


async def until(pilot: Pilot[None], predicate: Callable[[], Any], what: str, timeout: float = 10.0) -> None:
    """Let the app run until `predicate()` holds (workers finish, messages land), bounded in time;
    on failure the screen is shown (`tests.tui.screen.wait_until`)."""
    await wait_until(pilot, predicate, timeout=timeout, what=what)
