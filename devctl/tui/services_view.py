"""The services view (the dashboard's default): one row per service, live, and the keys that
act on them.

Rows come from the app's feed (`on_state`: the status snapshot after every supervisor event;
`on_usage`: CPU and RSS of each process group every few seconds), never from polling. Cells
are updated in place, so the cursor stays on its service while states change under it; the
uptime column moves on with the usage samples, not with a clock of its own, in steps of ten
seconds and then whole minutes, so an idle table is not redrawn at every sample.

Keys act through `devctl.tui.actions` — the CLI's own supervisor requests, and the CLI itself
as a child for `up` and `down` — in worker threads: a key press never waits for a service.
On a narrow terminal (under 100 columns) the PID and PORTS columns go; the highlighted
service's details (why it failed, its probe's error, its log files) show in full under the
table whatever the width.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from rich.markup import escape
from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from devctl.supervisor.render import STATE_STYLE, duration, health_text, status_reason
from devctl.supervisor.service_states import ACTIVE_STATES, LIVE_STATES, UP_STATES

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.events import Resize

    from devctl.tui.actions import CliRun
    from devctl.tui.context import TuiContext
    from devctl.tui.feed import Usage

#: (key, header) in display order; the narrow layout leaves out NARROW_HIDDEN.
COLUMNS = (("service", "SERVICE"), ("state", "STATE"), ("health", "HEALTH"), ("pid", "PID"),
           ("uptime", "UPTIME"), ("restarts", "RESTARTS"), ("cpu", "CPU"), ("rss", "RSS"),
           ("ports", "PORTS"))
NARROW_HIDDEN = frozenset({"pid", "ports"})
#: Below this width the narrow layout is used: 80×24 must still show state, health and usage.
NARROW_WIDTH = 100
#: Widest a HEALTH cell gets in the narrow layout (the full text is in the details line).
NARROW_HEALTH = 18
ACTIVITY_LINES = 6


def human_bytes(n: int | None) -> str:
    """`812K`, `3.5M`, `34M`, `1.2G` (binary units, as `top`/`ps` show RSS): two significant
    digits at most, so a resident size moving by a few pages does not redraw the table."""
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "K", "M", "G"):
        if value < 1024 or unit == "G":
            return f"{value:.0f}{unit}" if unit in ("B", "K") or value >= 10 else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}T"  # unreachable; keeps mypy sure of the return


def cpu_text(percent: float) -> str:
    """Whole percent of one core: a health probe's blip (0.3 %) does not redraw an idle table."""
    return f"{percent:.0f}%"


def uptime_text(seconds: float | None) -> str:
    """Uptime as `docker ps` rounds it: `<10 s`, `40 s` (tens of seconds), `4m` (whole minutes),
    then `duration()`'s `2h05m`, `3d04h`. Coarse on purpose: any changed cell makes the table
    redraw every row, so a finer uptime would redraw an idle table at every usage sample."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return "<10 s"
    if seconds < 60:
        return f"{int(seconds) // 10 * 10} s"
    if seconds < 3600:
        return f"{int(seconds) // 60}m"
    return duration(seconds)


def ports_of(svc: dict[str, Any]) -> list[int]:
    """The ports a service's health check names (tcp `host:port`, http URL): what it listens on."""
    health = svc.get("health") or {}
    target = str(health.get("target") or "")
    try:
        if health.get("type") == "http":
            port = urlsplit(target).port
            return [port] if port else []
        if health.get("type") == "tcp" and ":" in target:
            return [int(target.rsplit(":", 1)[1])]
    except ValueError:
        return []
    return []


def row_cells(svc: dict[str, Any], usage: Usage | None, now: float, *, narrow: bool = False
              ) -> dict[str, str]:
    """One service's cells, keyed by column (pure: tested without a terminal)."""
    state = svc.get("state", "?")
    live = state in LIVE_STATES
    started = svc.get("started_at")
    uptime = now - started if live and isinstance(started, int | float) else None
    health = health_text(svc)
    if narrow and len(health) > NARROW_HEALTH:
        health = health[: NARROW_HEALTH - 1] + "…"
    pid = svc.get("pid")
    # What the group listens on, once sampled; before that, what its health check names.
    listening = usage.ports if live and usage is not None and usage.ports else ports_of(svc) if live else []
    ports = ",".join(str(p) for p in listening)
    return {
        "service": str(svc.get("name", "?")),
        "state": state,
        "health": health,
        "pid": str(pid) if live and pid else "-",
        "uptime": uptime_text(uptime),
        "restarts": str(svc.get("restarts", 0)),
        "cpu": cpu_text(usage.cpu_percent) if live and usage is not None else "-",
        "rss": human_bytes(usage.rss) if live and usage is not None else "-",
        "ports": ports or "-",
    }


def details_line(svc: dict[str, Any]) -> str:
    """What the highlighted row cannot show: why it is down, the probe's error, its logs."""
    parts = [str(svc.get("name"))]
    reason = status_reason(svc)
    if reason:
        parts.append(reason)
    health = svc.get("health") or {}
    if health.get("ok") is False and health.get("error") and svc.get("state") in LIVE_STATES:
        parts.append(f"{health.get('type')} probe: {health['error']}")
    logs = svc.get("logs") or {}
    if logs.get("stdout"):
        names = [str(logs.get(stream) or "").rsplit("/", 1)[-1] for stream in ("stdout", "stderr")]
        parts.append("logs: " + ", ".join(n for n in names if n))
    return "  ·  ".join(parts)


def summary(snapshot: dict[str, Any] | None) -> str:
    """`3/4 up` for the header."""
    services = (snapshot or {}).get("services", [])
    up = sum(1 for s in services if s.get("state") in UP_STATES)
    return f"{up}/{len(services)} up"


class ServicesView(Vertical):
    """The table of services and its keys (see the module docstring)."""

    DEFAULT_CSS = """
    ServicesView { height: 1fr; }
    ServicesView > DataTable { height: 1fr; }
    ServicesView > #details { height: auto; max-height: 2; color: $text-muted; padding: 0 1; }
    ServicesView > #activity { height: auto; max-height: 7; padding: 0 1;
                               border-top: solid $primary-darken-2; }
    ServicesView > #notup { height: auto; padding: 1 2; }
    ServicesView > #up-button { margin: 0 2; }
    """

    BINDINGS = [
        Binding("s", "start", "Start",
                tooltip="start the selected service (and what it depends on), as `devctl start`"),
        Binding("x", "stop", "Stop", tooltip="stop the selected service, as `devctl stop`"),
        Binding("r", "restart", "Restart", tooltip="restart the selected service, as `devctl restart`"),
        Binding("R", "restart_all", "Restart all", tooltip="restart every service"),
        Binding("u", "up", "Up", tooltip="run `devctl up` (the pipeline, then the services); "
                                         "its progress shows under the table"),
        Binding("d", "down", "Down", tooltip="`devctl down`: stop everything (asks first)"),
        Binding("l,enter", "logs", "Logs",
                tooltip="the selected service's logs (the logs view); a click on the selected row too"),
    ]

    def __init__(self, ctx: TuiContext) -> None:
        super().__init__(id="services")
        self.ctx = ctx
        self.snapshot: dict[str, Any] | None = None
        self.stale: dict[str, Any] | None = None
        self.usage: dict[str, Usage] = {}
        self.narrow: bool | None = None
        self.busy: str | None = None  # what runs now (one action at a time)
        self.activity: deque[str] = deque(maxlen=ACTIVITY_LINES)
        self._rows: dict[str, dict[str, str]] = {}
        self._known = False  # a state (even None) has arrived
        self._details_text: str | None = None

    def compose(self) -> ComposeResult:
        table: DataTable[Text | str] = DataTable(cursor_type="row", zebra_stripes=False, id="table")
        yield table
        yield Static("", id="details")
        yield Static("connecting to the supervisor…", id="notup")
        yield Static("", id="activity")

    def on_mount(self) -> None:
        self.query_one("#activity", Static).display = False
        self._layout(self.size.width or self.app.size.width)
        self._show()

    def on_resize(self, event: Resize) -> None:
        self._layout(event.size.width)

    # ---- live data (LiveView) --------------------------------------------------------------

    def on_state(self, snapshot: dict[str, Any] | None) -> None:
        self.snapshot = snapshot
        self._known = True
        if snapshot is None:
            self.usage = {}
        self._show()

    def on_supervisor_event(self, event: dict[str, Any]) -> None:
        """Events change the table through the snapshot that follows each one."""

    def on_stale(self, snapshot: dict[str, Any] | None) -> None:
        """What a supervisor that is gone left recorded and may still run (see the feed)."""
        self.stale = snapshot
        self._show()

    def on_usage(self, usage: dict[str, Usage]) -> None:
        self.usage = usage
        self._show()

    # ---- drawing ---------------------------------------------------------------------------

    def _columns(self) -> list[tuple[str, str]]:
        return [(k, h) for k, h in COLUMNS if not (self.narrow and k in NARROW_HIDDEN)]

    def _layout(self, width: int) -> None:
        narrow = 0 < width < NARROW_WIDTH
        if narrow == self.narrow:
            return
        self.narrow = narrow
        table = self.query_one(DataTable)
        table.clear(columns=True)
        self._rows = {}
        for key, header in self._columns():
            table.add_column(header, key=key)
        self._show()

    def _services(self) -> list[dict[str, Any]]:
        return list((self.snapshot or {}).get("services", []))

    def _show(self) -> None:
        if self.narrow is None:
            return
        table = self.query_one(DataTable)
        notup = self.query_one("#notup", Static)
        services = self._services()
        if self.snapshot is None or not services:
            table.display = False
            self.query_one("#details", Static).display = False
            notup.display = True
            notup.update(self._notup_text())
            self._offer_up(self._known)
            return
        notup.display = False
        self._offer_up(False)
        table.display = True
        self.query_one("#details", Static).display = True
        now = time.time()
        names = [s["name"] for s in services]
        if list(self._rows) != names:  # services came or went: rebuild, keep the cursor's service
            chosen = self.selected()
            table.clear()
            self._rows = {}
            for svc in services:
                cells = row_cells(svc, self.usage.get(svc["name"]), now, narrow=bool(self.narrow))
                self._rows[svc["name"]] = cells
                table.add_row(*(self._cell(k, cells[k]) for k, _ in self._columns()), key=svc["name"])
            if chosen in names:
                table.move_cursor(row=names.index(chosen))
        else:
            for svc in services:
                cells = row_cells(svc, self.usage.get(svc["name"]), now, narrow=bool(self.narrow))
                old = self._rows[svc["name"]]
                for key, _ in self._columns():
                    if cells[key] != old.get(key):
                        # Widths are measured again only when a cell's length changed.
                        resized = len(cells[key]) != len(old.get(key, ""))
                        table.update_cell(svc["name"], key, self._cell(key, cells[key]), update_width=resized)
                self._rows[svc["name"]] = cells
        self._details()

    def _cell(self, key: str, value: str) -> Text | str:
        if key == "state" and not self.ctx.no_color:
            return Text(value, style=STATE_STYLE.get(value, ""))
        if key in ("pid", "restarts", "cpu", "rss", "uptime"):
            return Text(value, justify="right")
        return Text(value)

    def _notup_text(self) -> str:
        if not self._known:
            return "connecting to the supervisor…"
        if self.snapshot is None and self.stale is not None:
            left = [f"{s['name']} ({s['state']})" for s in self.stale.get("services", [])
                    if s.get("state") in ACTIVE_STATES]
            return ("[b]The supervisor is not running[/b], but it left services that may still run: "
                    f"{escape(', '.join(left))} (judged from their recorded pids, as `devctl status` does)."
                    "\n\nPress [b]d[/b] to run `devctl down`, which stops them, or [b]u[/b] for "
                    "`devctl up`, which says what it will do with them.")
        if self.snapshot is None:
            return ("Nothing runs for this repo: no supervisor is up.\n\n"
                    "Press [b]u[/b] to run `devctl up` here (the pipeline, then every planned service); "
                    "its progress shows below.")
        return "The supervisor runs no services (the plan has none). Press [b]u[/b] to run `devctl up`."

    def _offer_up(self, show: bool) -> None:
        """The mouse's way to `up`: a button under the "nothing runs" text (built when first needed)."""
        buttons = self.query("#up-button")
        if show and not buttons:
            from textual.widgets import Button

            self.mount(Button("Run devctl up (u)", id="up-button", variant="primary"), after="#notup")
        elif buttons:
            buttons.first().display = show

    def on_button_pressed(self, event: Any) -> None:
        if getattr(event.button, "id", None) == "up-button":
            event.stop()
            self.action_up()

    def _details(self) -> None:
        name = self.selected()
        svc = next((s for s in self._services() if s["name"] == name), None)
        text = details_line(svc) if svc else ""
        if text != self._details_text:  # an update re-lays the view out: only when it changed
            self._details_text = text
            self.query_one("#details", Static).update(Text(text))

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._details()

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_logs()

    def selected(self) -> str | None:
        """The service under the cursor."""
        table = self.query_one(DataTable)
        if not self._rows or table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:  # noqa: BLE001 - an empty or rebuilding table has no cursor row
            return None
        return str(key.value) if key.value is not None else None

    def say(self, line: str) -> None:
        """One line in the activity panel under the table (the last few stay)."""
        self.activity.append(line)
        panel = self.query_one("#activity", Static)
        panel.display = True
        panel.update(Text("\n".join(self.activity)))

    # ---- actions ---------------------------------------------------------------------------

    def _claim(self, what: str) -> bool:
        if self.busy:
            self.app.notify(f"wait: {self.busy} is still running", severity="warning")
            return False
        self.busy = what
        return True

    def _done(self, line: str, ok: bool = True) -> None:
        self.busy = None
        self.say(line)
        if not ok:
            self.app.notify(line, severity="error", timeout=8)

    def _steer(self, op: str, names: list[str]) -> None:
        label = f"{op} {', '.join(names) or 'all services'}"
        if not self._claim(label):
            return
        self.say(f"{label}…")
        self.run_worker(lambda: self._steer_thread(op, names), thread=True, group="action",
                        exit_on_error=False)

    def _steer_thread(self, op: str, names: list[str]) -> None:
        from devctl.errors import DevctlError
        from devctl.tui.actions import steer, steer_summary

        t0 = time.time()
        try:
            ok, line = steer_summary(op, steer(self.ctx.paths, op, names), t0)
        except DevctlError as exc:
            ok, line = False, f"{op} failed: {exc.message}"
        except Exception as exc:  # noqa: BLE001 - shown, never a crash of the dashboard
            ok, line = False, f"{op} failed: {type(exc).__name__}: {exc}"
        self._ui(self._done, line, ok)

    def _ui(self, fn: Any, *args: Any) -> Any:
        """Run `fn(*args)` on the app's thread, from a worker; nothing once the app is gone."""
        try:
            return self.app.call_from_thread(fn, *args)
        except RuntimeError:
            return None

    def _need_service(self) -> str | None:
        name = self.selected()
        if name is None:
            self.app.notify("no service selected", severity="warning")
        return name

    def action_start(self) -> None:
        if name := self._need_service():
            self._steer("start", [name])

    def action_stop(self) -> None:
        if name := self._need_service():
            self._steer("stop", [name])

    def action_restart(self) -> None:
        if name := self._need_service():
            self._steer("restart", [name])

    def action_restart_all(self) -> None:
        if self.snapshot is None:
            self.app.notify("nothing runs: press u for `devctl up`", severity="warning")
            return
        self._steer("restart", [])

    def action_logs(self) -> None:
        name = self.selected()
        show = getattr(self.app, "show_logs", None)
        if show is not None:
            self.app.call_later(show, name)

    def action_up(self) -> None:
        self._cli("up")

    def action_down(self) -> None:
        # Allowed with no supervisor too: `down` cleans up what a dead one left (confirmed).
        from devctl.tui.overlays import ConfirmScreen

        running = [s["name"] for s in self._services() if s.get("state") in LIVE_STATES]
        what = (f"Stop {len(running)} running service(s) ({', '.join(running[:5])}"
                f"{'…' if len(running) > 5 else ''}) and the supervisor?" if running else
                "Stop the supervisor (no service is running)?" if self.snapshot else
                "Run `devctl down` (cleans up what a stopped supervisor left)?")

        def answered(yes: bool | None) -> None:
            if yes:
                self._cli("down")

        self.app.push_screen(ConfirmScreen(what, yes="Down"), answered)

    def _cli(self, command: str) -> None:
        if not self._claim(command):
            return
        self.say(f"devctl {command}…")
        self.run_worker(lambda: self._cli_thread(command), thread=True, group="action", exit_on_error=False)

    def _cli_thread(self, command: str) -> None:
        from devctl.tui import actions

        args = actions.up_args() if command == "up" else actions.down_args()
        t0 = time.time()
        run: CliRun | None = None
        try:
            run = actions.CliRun(self.ctx.root, *args)
            track = getattr(self.app, "track_child", None)
            if track is not None:
                self._ui(track, run)
            wake = getattr(self.app, "wake_feed", None)
            if wake is not None:
                self._ui(wake)
            if command == "up":
                code, tail = actions.run_up(run, lambda line: self._ui(self.say, line))
            else:
                for _line in run.lines():
                    pass
                code, tail = run.wait(), run.stderr_tail(10)
        except Exception as exc:  # noqa: BLE001 - shown, never a crash of the dashboard
            code, tail = 1, [f"{type(exc).__name__}: {exc}"]
        finally:
            if run is not None:
                untrack = getattr(self.app, "untrack_child", None)
                if untrack is not None:
                    self._ui(untrack, run)
            wake = getattr(self.app, "wake_feed", None)
            if wake is not None:
                self._ui(wake)
        if code == 0:
            last = tail[-1] if tail and command == "down" else "done"
            self._ui(self._done, f"devctl {command}: {last} ({actions.elapsed(t0)})")
        else:
            why = " | ".join(line.strip() for line in tail[-3:]) or f"exit {code}"
            self._ui(self._done, f"devctl {command} failed (exit {code}): {why}", False)
