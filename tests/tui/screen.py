"""Helpers for TUI tests: the screen as text, text snapshots, and polling the pilot.

Why text snapshots and not SVG ones (pytest-textual-snapshot): a text snapshot is the screen
as a user reads it, so a review diff of `tests/tui/snapshots/*.txt` shows exactly which cell
changed; it needs no extra test dependency (syrupy, jinja2), runs under xdist as it is, and
does not churn when Textual retunes a colour. Colours are seen in the SVG screenshots of
the docs (docs/img/, made by `python -m tests.tui.screenshots`).

A snapshot must be deterministic: fixed terminal size, fixed fake data or `mask()` for clocks,
pids and durations. Update with `DEVCTL_SNAPSHOT_UPDATE=1 pytest tests/tui -n 0`, then read the
diff before committing it.
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE_ENV = "DEVCTL_SNAPSHOT_UPDATE"


def screen_text(app: App) -> str:
    """The current screen, cell by cell, as plain text (trailing spaces stripped per line).

    The same compositor output `App.export_screenshot` turns into SVG, printed to a recording
    console and exported without styles."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system=None, record=True, legacy_windows=False, safe_box=False)
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    console.print(update)
    lines = console.export_text(styles=False).splitlines()
    return "\n".join(line.rstrip() for line in lines[:height]) + "\n"


def mask(text: str, *patterns: str, fill: str = "#") -> str:
    """Replace every match of each regex with `fill`s of the same width (pids, times,
    durations), so the layout is still checked but not the value."""
    for pattern in patterns:
        text = re.sub(pattern, lambda m: fill * len(m.group(0)), text)
    return text


def assert_snapshot(text: str, name: str) -> None:
    """Compare `text` with `snapshots/<name>.txt`; write it instead when DEVCTL_SNAPSHOT_UPDATE=1."""
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get(UPDATE_ENV) == "1":
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        raise AssertionError(f"no snapshot {path.name} yet: run with {UPDATE_ENV}=1 to write it, "
                             "then review it")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        import difflib

        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            f"snapshots/{path.name}", "screen now"))
        raise AssertionError(f"screen differs from its snapshot ({UPDATE_ENV}=1 rewrites it):\n{diff}")


async def settled_text(pilot: Pilot, *, timeout: float = 10.0) -> str:
    """The screen once it stopped changing: the same text twice, a tenth of a second apart.

    A key's effects land over a few refreshes (the view, then the footer's keys, then the tabs'
    underline); a snapshot taken halfway would be a flaky one. Snapshot apps also run with
    `animation_level = "none"`, so nothing slides."""
    deadline = time.monotonic() + timeout
    before = screen_text(pilot.app)
    while True:
        await pilot.pause(0.1)
        now = screen_text(pilot.app)
        if now == before:
            return now
        if time.monotonic() > deadline:
            raise AssertionError(f"the screen kept changing for {timeout} s\n{now}")
        before = now


async def wait_until(pilot: Pilot, condition: Callable[[], object], *, timeout: float = 15.0,
                     what: str = "condition") -> None:
    """Let the app run until `condition()` is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n"
                                 f"{screen_text(pilot.app)}")
        await pilot.pause(0.05)
