"""The events view: history read back from `.devctl/events.ndjson`, live events, filters."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from devctl.tui.context import TuiContext
from devctl.tui.events_view import (
    EventsView,
    details,
    kinds_in_order,
    matches,
    next_choice,
    read_history,
    when,
)
from tests.unit.tui.host import drive, until


def write_events(root: Path, events: list[dict[str, Any]], tail: bytes = b"") -> Path:
    path = root / ".devctl" / "events.ndjson"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"".join(json.dumps(e).encode() + b"\n" for e in events) + tail)
    return path


def ev(i: int, service: str | None = "web", event: str = "started", **extra: Any) -> dict[str, Any]:
    return {"ts": 1000.0 + i, "service": service, "event": event, **extra}


def test_history_is_the_newest_events_oldest_first_skipping_junk(tmp_path):
    events = [ev(i) for i in range(50)]
    path = write_events(tmp_path, events[:20], b"not json\n\n" + b"".join(
        json.dumps(e).encode() + b"\n" for e in events[20:]) + b'{"ts": 1, "torn')
    assert read_history(path, limit=10) == events[-10:]
    assert read_history(path) == events  # the torn last line and the junk line are skipped
    assert read_history(tmp_path / "missing") == []


def test_history_reads_backwards_at_most_max_bytes(tmp_path):
    big = [ev(i, details="x" * 200) for i in range(3000)]
    path = write_events(tmp_path, big)
    got = read_history(path, limit=5000, max_bytes=10_000)
    assert 0 < len(got) < 60 and got == big[-len(got):]  # whole lines only, the newest
    # Across many chunks (64 KiB each) nothing is lost or duplicated at the seams.
    assert read_history(path, limit=2500) == big[-2500:]


def test_details_filters_and_cycles():
    assert details(ev(1, event="exited", pid=42, exit_code=1, stop_requested=True)) == \
        "pid 42 · exit_code 1 · stop_requested"
    assert details(ev(1, event="watch_restart", paths=[f"f{i}" for i in range(7)])) == \
        "paths f0, f1, f2, f3, f4 …"
    assert matches(ev(1, service=None, event="supervisor_started"), "supervisor", None, False)
    assert not matches(ev(1, event="started"), None, None, True)
    assert matches(ev(1, event="gave_up"), "web", "gave_up", True)
    assert [next_choice(c, ["a", "b"]) for c in (None, "a", "b", "gone")] == ["a", "b", None, "a"]
    assert kinds_in_order({"stopped", "zzz_new", "started"}) == ["started", "stopped", "zzz_new"]
    now = time.time()
    assert when(now, now).count(":") == 2 and "." in when(now, now)
    assert when(now - 3 * 86400, now)[2] == "-"


def test_view_shows_history_then_live_events_once_and_filters(tmp_path):
    write_events(tmp_path, [ev(1, None, "supervisor_started"), ev(2, "web", "started", pid=7),
                            ev(3, "db", "exited", pid=8, exit_code=1)])
    view = EventsView(TuiContext(root=tmp_path, config_file=None))

    async def scenario(pilot, view):
        await until(pilot, lambda: view.loaded, "the history")
        table = view.table
        assert table.row_count == 3
        view.on_supervisor_event(ev(3, "db", "exited", pid=8, exit_code=1))  # already in the file
        view.on_supervisor_event(ev(4, "web", "ready"))
        assert table.row_count == 4
        assert str(table.get_row_at(3)[2]) == "ready"
        assert table.cursor_row == 3  # followed
        await pilot.press("s")  # first service in order: db
        assert view.service == "db" and table.row_count == 1
        await pilot.press("s", "s")  # supervisor, then web
        assert view.service == "web" and table.row_count == 2
        await pilot.press("x", "p")
        assert table.row_count == 1 and str(table.get_row_at(0)[2]) == "exited"
        await pilot.press("x", "k")
        assert view.kind == "supervisor_started" and table.row_count == 1
        bar = str(view.query_one("#events-bar").render())
        assert "kind: supervisor_started" in bar and "1 of 4" in bar
        await pilot.press("x", "up", "up")
        assert not view.follow  # moving up pauses following
        view.on_supervisor_event(ev(5, "web", "stopped"))
        assert table.cursor_row == 1 and table.row_count == 5  # the new row did not move the cursor
        await pilot.press("f")
        assert view.follow and table.cursor_row == 4

    drive(view, scenario)


def test_live_events_arriving_before_the_history_are_kept_once(tmp_path):
    write_events(tmp_path, [ev(1), ev(2)])
    view = EventsView(TuiContext(root=tmp_path, config_file=None))
    view.on_supervisor_event(ev(2))  # the feed was faster than the file read
    view.on_supervisor_event(ev(3))

    async def scenario(pilot, view):
        await until(pilot, lambda: view.loaded, "the history")
        assert [e["ts"] for e in view.events] == [1001.0, 1002.0, 1003.0]
        assert view.table.row_count == 3

    drive(view, scenario)


def test_no_events_file_says_so_and_no_color_means_no_colour(tmp_path):
    view = EventsView(TuiContext(root=tmp_path, config_file=None, no_color=True))

    async def scenario(pilot, view):
        await until(pilot, lambda: view.loaded, "the history")
        assert "no events yet" in str(view.query_one("#events-bar").render())
        view.on_supervisor_event(ev(1, "web", "gave_up", attempts=5))
        assert view.table.get_row_at(0)[2].style == ""  # red without NO_COLOR

    drive(view, scenario, size=(80, 24))
