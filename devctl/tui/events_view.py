"""The events view: the supervisor's events, the history from `.devctl/events.ndjson` then live.

Why both sources: the file holds what happened before the dashboard opened (a crash at
night, the last `up`), the watch stream (the app's feed, through `on_supervisor_event`) what
happens now; an event seen in both is shown once. The file only grows, so the history is read
backwards from its end, at most `HISTORY` events and `HISTORY_BYTES` bytes, in a worker thread:
a 100 MB event log opens as fast as a small one and no key waits on the disk.

Filters by service and by kind, each cycled with one key (`s`, `k`) through the values seen so
far, as `docker events --filter` narrows by container and type; `p` keeps only the problems
(exits nobody asked for, give-ups, failed health, failed watches). Newest at the bottom,
followed like `tail -f` until the cursor moves up.
"""

from __future__ import annotations

import os
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from devctl.tui.context import TuiContext

#: Events read back from the file when the view opens, and kept in memory at most.
HISTORY = 2000
#: The most bytes read back from the end of the file for that history.
HISTORY_BYTES = 4 * 1024 * 1024
_CHUNK = 64 * 1024

#: Every event the supervisor writes (docs/supervisor.md, "Files under .devctl/"), in the order the
#: kind filter offers them; kinds not listed here (a newer supervisor's) follow, sorted.
KINDS = ("supervisor_started", "started", "ready", "up_done", "exited", "restarting", "gave_up",
         "unhealthy", "recovered", "stopped", "watch_restart", "watch_failed", "supervisor_stopped")
#: What the `p` filter keeps, and what is shown in red.
PROBLEMS = frozenset({"exited", "gave_up", "unhealthy", "watch_failed"})
_GOOD = frozenset({"ready", "up_done", "recovered"})
#: The fields every event has; the rest are its details.
_COMMON = ("ts", "service", "event")


def read_history(path: Path, limit: int = HISTORY, max_bytes: int = HISTORY_BYTES) -> list[dict[str, Any]]:
    """The last `limit` events of an events file, oldest first; [] when there is none.

    Reads backwards in chunks, never more than `max_bytes`; a line cut by that bound, a torn
    last line and lines that are not JSON objects are skipped."""
    from devctl.protocol.ndjson import decode

    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below; a with-block would hide the early return
    except OSError:
        return []
    with fh:
        end = fh.seek(0, os.SEEK_END)
        pos, head = end, b""
        lines: list[bytes] = []  # complete lines, newest first
        while pos > 0 and len(lines) <= limit and end - pos < max_bytes:
            size = min(_CHUNK, pos, max_bytes - (end - pos))
            pos -= size
            fh.seek(pos)
            head, newline, rest = (fh.read(size) + head).partition(b"\n")
            if newline:  # everything after the first newline is whole lines; `head` may be cut
                lines.extend(reversed(rest.split(b"\n")))
        if pos == 0 and head:
            lines.append(head)  # the file's first line
    events = []
    for raw in reversed(lines):  # `lines` is newest first
        if not raw.strip():
            continue
        try:
            event = decode(raw)
        except ValueError:
            continue
        if isinstance(event, dict) and isinstance(event.get("event"), str):
            events.append(event)
    return events[-limit:]


def event_key(event: dict[str, Any]) -> tuple[Any, ...]:
    """What makes an event the same one in the file and in the watch stream."""
    return (event.get("ts"), event.get("service"), event.get("event"), event.get("pid"))


def details(event: dict[str, Any]) -> str:
    """An event's own fields in a few words: `pid 42 · exit_code 1`, `attempt 2 · delay_s 2.0`."""
    parts = []
    for key, value in event.items():
        if key in _COMMON or value is None:
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value[:5]) + (" …" if len(value) > 5 else "")
        if value is True:
            parts.append(key)
        else:
            parts.append(f"{key} {value}")
    return " · ".join(parts)


def matches(event: dict[str, Any], service: str | None, kind: str | None, problems: bool) -> bool:
    if service is not None and (event.get("service") or "supervisor") != service:
        return False
    if kind is not None and event.get("event") != kind:
        return False
    return not problems or is_problem(event)


def is_problem(event: dict[str, Any]) -> bool:
    """One of PROBLEMS, but not an exit that was asked for (`stop`, `restart`, `down`) — unless
    the service had to be killed because it ignored SIGTERM for the whole grace."""
    if event.get("event") == "exited" and event.get("stop_requested"):
        return event.get("signal") == "SIGKILL"
    return event.get("event") in PROBLEMS


def next_choice(current: str | None, choices: list[str]) -> str | None:
    """Cycle all → each choice → all."""
    if not choices:
        return None
    if current not in choices:
        return choices[0]
    index = choices.index(current) + 1
    return choices[index] if index < len(choices) else None


def kinds_in_order(seen: set[str]) -> list[str]:
    return [k for k in KINDS if k in seen] + sorted(seen - set(KINDS))


def when(ts: Any, now: float | None = None) -> str:
    """`14:03:07.125` today, `11-30 14:03:07` before."""
    if not isinstance(ts, int | float):
        return "?"
    local = time.localtime(ts)
    today = time.localtime(now if now is not None else time.time())
    if local[:3] == today[:3]:
        return time.strftime("%H:%M:%S", local) + f".{int((ts % 1) * 1000):03d}"
    return time.strftime("%m-%d %H:%M:%S", local)


class EventsView(Vertical):
    """The supervisor's events (see the module docstring)."""

    DEFAULT_CSS = """
    EventsView { height: 1fr; }
    EventsView > #events-bar { height: 1; padding: 0 1; background: $boost; }
    EventsView > DataTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("s", "cycle_service", "Service filter",
                tooltip="show one service's events: each press moves to the next service, then back to all"),
        Binding("k", "cycle_kind", "Kind filter",
                tooltip="show one kind of event (started, exited, gave_up, ...): each press the next kind"),
        Binding("p", "problems", "Problems only",
                tooltip="only exits, give-ups, failed health checks and failed watches (on / off)"),
        Binding("x", "clear_filters", "Clear filters", tooltip="show every event again"),
        Binding("f", "follow", "Follow",
                tooltip="keep the newest event in view (moving the cursor up pauses it)"),
    ]

    def __init__(self, ctx: TuiContext, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.ctx = ctx
        self.events: deque[dict[str, Any]] = deque(maxlen=HISTORY)
        self.service: str | None = None
        self.kind: str | None = None
        self.problems = False
        self.follow = True
        self.loaded = False
        self._keys: set[tuple[Any, ...]] = set()
        self._row = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="events-bar")
        table: DataTable[Any] = DataTable(cursor_type="row", zebra_stripes=False)
        table.add_column("time", key="time")
        table.add_column("service", key="service")
        table.add_column("event", key="event")
        table.add_column("details", key="details")
        yield table

    def on_mount(self) -> None:
        self._bar()
        self.load_history()

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one(DataTable)

    @work(thread=True, exclusive=True, group="events-history")
    def load_history(self) -> None:
        history = read_history(self.ctx.paths.events)
        self.app.call_from_thread(self._history_loaded, history)

    def _history_loaded(self, history: list[dict[str, Any]]) -> None:
        live = list(self.events)  # what the feed delivered while the file was read
        known = {event_key(e) for e in history}
        self.events.clear()
        self.events.extend(history)
        self.events.extend(e for e in live if event_key(e) not in known)
        self._keys = {event_key(e) for e in self.events}
        self.loaded = True
        self._rebuild()

    # -- the LiveView hook -------------------------------------------------------------------

    def on_supervisor_event(self, event: dict[str, Any]) -> None:
        key = event_key(event)
        if key in self._keys:
            return
        if len(self.events) == self.events.maxlen:
            self._keys.discard(event_key(self.events[0]))
        self.events.append(event)
        self._keys.add(key)
        if not self.loaded:
            return  # shown when the history arrives
        if matches(event, self.service, self.kind, self.problems):
            table = self.table
            self._add(table, event)
            while table.row_count > HISTORY:
                table.remove_row(next(iter(table.rows)))
            self._scroll(table)
        self._bar()

    # -- keys --------------------------------------------------------------------------------

    def action_cycle_service(self) -> None:
        services = sorted({e.get("service") or "supervisor" for e in self.events})
        self.service = next_choice(self.service, services)
        self._rebuild()

    def action_cycle_kind(self) -> None:
        self.kind = next_choice(self.kind, kinds_in_order({str(e.get("event")) for e in self.events}))
        self._rebuild()

    def action_problems(self) -> None:
        self.problems = not self.problems
        self._rebuild()

    def action_clear_filters(self) -> None:
        self.service = self.kind = None
        self.problems = False
        self._rebuild()

    def action_follow(self) -> None:
        self.follow = not self.follow
        if self.follow:
            self._scroll(self.table)
        self._bar()

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        # Moving the cursor up stops following, as scrolling up in `less +F` does; the last row resumes.
        table = self.table
        if table.row_count and message.cursor_row < table.row_count - 1 and self.follow and table.has_focus:
            self.follow = False
            self._bar()
        elif table.row_count and message.cursor_row == table.row_count - 1 and not self.follow:
            self.follow = True
            self._bar()

    # -- drawing -----------------------------------------------------------------------------

    def _rebuild(self) -> None:
        table = self.table
        table.clear()
        for event in self.events:
            if matches(event, self.service, self.kind, self.problems):
                self._add(table, event)
        self._scroll(table)
        self._bar()

    def _add(self, table: DataTable[Any], event: dict[str, Any]) -> None:
        kind = str(event.get("event"))
        colour = "red" if is_problem(event) else "green" if kind in _GOOD else ""
        style = "" if self.ctx.no_color else colour
        self._row += 1
        table.add_row(when(event.get("ts")), event.get("service") or "supervisor", Text(kind, style=style),
                      details(event), key=str(self._row))

    def _scroll(self, table: DataTable[Any]) -> None:
        if self.follow and table.row_count:
            table.move_cursor(row=table.row_count - 1, animate=False)

    def _bar(self) -> None:
        shown = self.table.row_count if self.is_mounted else 0
        parts = [f"service: {self.service or 'all'}", f"kind: {self.kind or 'all'}"]
        if self.problems:
            parts.append("problems only")
        parts.append("follow" if self.follow else "paused (f: follow)")
        total = len(self.events)
        count = f"{shown} of {total}" if shown != total else f"{total}"
        if not self.loaded:
            count = "reading history…"
        elif not total:
            count = "no events yet (they appear once the supervisor runs)"
        self.query_one("#events-bar", Static).update(" · ".join(parts) + f" · {count}")
