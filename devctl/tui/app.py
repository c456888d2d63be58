"""`devctl tui`'s application: the frame every view lives in.

What the app owns, and nothing else: the header (repo, supervisor, how many services are up),
the row of tabs and the number keys that switch views, the key bar with the current keys, the
`?` help overlay, the feed (`devctl.tui.feed`: the one connection to the supervisor, whose
snapshot and events every mounted view gets through its `on_state` / `on_supervisor_event`), and the CLI
children the views start (`up`, `down`), which it stops if they still run when it quits.

Views are imported when first shown (`devctl.tui.views`): the first frame pays for the
services view alone. A view whose module is not there yet shows a placeholder that says so.
Quitting leaves every service running: `run()` returns the line the CLI prints on exit.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.widgets import ContentSwitcher, Static, Tab, Tabs

from devctl.tui.views import VIEWS, ViewSpec

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.widget import Widget

    from devctl.tui.actions import CliRun
    from devctl.tui.context import TuiContext
    from devctl.tui.feed import Feed

DEFAULT_VIEW = "services"
#: A key name the key bar can put in a click action (`s`, `question_mark`, `ctrl+x`).
KEY_NAME = re.compile(r"[A-Za-z0-9_+]+")


class FeedMessage(Message):
    """One delivery of the feed, posted from its thread (post_message is thread-safe)."""

    def __init__(self, kind: str, value: Any) -> None:
        super().__init__()
        self.kind = kind
        self.value = value


class KeyBar(Static):
    """The keys of the focused view and the app, one line at the bottom; a click on one presses it.

    Textual's Footer builds a widget per key and rebuilds them all whenever focus moves: with
    ten keys that was most of the dashboard's first frame (about half of its CPU before the first
    paint). One line of text with click actions shows the same thing; the longer description
    of each key is in the `?` overlay.
    """

    DEFAULT_CSS = "KeyBar { dock: bottom; height: 1; background: $panel; padding: 0 0 0 1; }"

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Any) -> None:
        from textual.content import Content

        ours: list[Content] = []  # the app's keys first: a narrow terminal cuts the line's end
        theirs: list[Content] = []
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            # `key` goes into a click action's quotes: plain key names only (`s`, `ctrl+x`).
            if not binding.show or binding.action in seen or not KEY_NAME.fullmatch(key):
                continue
            seen.add(binding.action)
            part = Content.from_markup(f"[@click=app.key('{key}')][b]$key[/b] $what[/]",
                                       key=self.app.get_key_display(binding), what=binding.description)
            (ours if active.node is self.app else theirs).append(part)
        self.update(Content("  ").join(ours + theirs))


class Placeholder(Static):
    """Stands in for a view whose module is not there (yet), or that failed to load."""

    DEFAULT_CSS = "Placeholder { height: 1fr; content-align: center middle; color: $text-muted; }"


def shown_views(ctx: TuiContext) -> list[ViewSpec]:
    """The views this repo gets: the optional ones only when the repo has what they need."""
    return [v for v in VIEWS if not v.optional or (ctx.root / "dofek.toml").is_file()]


def _names(names: list[str]) -> str:
    return ", ".join(names[:6]) + ("…" if len(names) > 6 else "")


def exit_note(snapshot: dict[str, Any] | None, stopped: list[str],
              stale: dict[str, Any] | None = None) -> str:
    """The line printed after the dashboard closes: what it left running, and how to stop it."""
    from devctl.supervisor.service_states import ACTIVE_STATES, LIVE_STATES

    lines = [f"stopped the `devctl {command}` that was still running" for command in stopped]
    running = [s["name"] for s in (snapshot or {}).get("services", []) if s.get("state") in LIVE_STATES]
    left = [s["name"] for s in (stale or {}).get("services", []) if s.get("state") in ACTIVE_STATES]
    if running:
        lines.append(f"left {len(running)} service(s) running ({_names(running)}); `devctl down` stops them")
    elif snapshot is None and left:
        lines.append(f"the supervisor is not running, but services it started may still run "
                     f"({_names(left)}); `devctl down` stops them")
    elif snapshot is not None:
        lines.append("the supervisor is still up with no service running; `devctl down` stops it")
    else:
        lines.append("nothing is running for this repo")
    return "\n".join(lines)


class DevctlApp(App[None]):
    """The dashboard (see the module docstring)."""

    TITLE = "devctl"
    #: Its key-bar entry and key would crowd out the view's own keys on an 80-column terminal.
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    #header { height: 1; padding: 0 1; background: $primary-background; }
    ContentSwitcher { height: 1fr; }
    """
    #: The global keys; the number keys are added per view in __init__.
    BINDINGS = [
        Binding("q", "quit", "Quit", tooltip="leave the dashboard; the services keep running"),
        Binding("question_mark", "help", "Help", tooltip="this list"),
        Binding("ctrl+c", "quit", "Quit", show=False),
    ]

    def __init__(self, ctx: TuiContext, *, feed: bool = True, sample_s: float = 2.0) -> None:
        super().__init__()
        self.ctx = ctx
        self.views = shown_views(ctx)
        self.snapshot: dict[str, Any] | None = None
        #: What a supervisor that is gone left recorded, while some of it may still run.
        self.stale: dict[str, Any] | None = None
        self.connected: bool | None = None  # None until the feed first says
        self._use_feed = feed
        self._sample_s = sample_s
        self.feed: Feed | None = None
        self.children_running: set[CliRun] = set()
        self.stopped_children: list[str] = []
        self._mounted: dict[str, Widget] = {}
        for spec in self.views:
            self._bindings.bind(spec.key, f"show_view('{spec.id}')", spec.title, show=False)

    # ---- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self._header_text(), id="header", markup=False)
        yield Tabs(*(Tab(f"{v.key} {v.title}", id=f"tab-{v.id}") for v in self.views), id="tabs",
                   active=f"tab-{DEFAULT_VIEW}")
        # The default view is composed with the rest, not mounted after: one layout pass, not two,
        # before the first frame.
        first = self.spec(DEFAULT_VIEW)
        widget = self._build(first) if first else None
        with ContentSwitcher(id="views", initial=widget.id if widget else None):
            if widget is not None:
                self._mounted[DEFAULT_VIEW] = widget
                yield widget
        yield KeyBar(id="keys")

    async def on_mount(self) -> None:
        await self.show_view(DEFAULT_VIEW)
        if self._use_feed:
            # After the first frame: its threads would take the GIL from the first paint.
            self.call_after_refresh(self._start_feed)

    def _start_feed(self) -> None:
        from devctl.tui.feed import Feed

        if self.feed is None and self.is_running:
            self.feed = Feed(self.ctx.paths, self._deliver, sample_s=self._sample_s)
            self.feed.start()

    def _header_text(self) -> str:
        repo = self.ctx.root.name or str(self.ctx.root)
        if self.connected is None:
            state = "supervisor: …"
        elif self.snapshot is None and self.stale is not None:
            state = "supervisor: not running, its services may still run (d: devctl down)"
        elif self.snapshot is None:
            state = "supervisor: not running (u: devctl up)"
        else:
            from devctl.tui.services_view import summary

            pid = (self.snapshot.get("supervisor") or {}).get("pid")
            state = f"supervisor: running (pid {pid})  ·  {summary(self.snapshot)}"
        return f"devctl  ·  {repo}  ·  {state}"

    # ---- views -----------------------------------------------------------------------------

    def spec(self, view_id: str) -> ViewSpec | None:
        return next((v for v in self.views if v.id == view_id), None)

    @property
    def current_view(self) -> str | None:
        return self.query_one(ContentSwitcher).current

    def view(self, view_id: str) -> Widget | None:
        """The mounted widget of a view (None until first shown)."""
        return self._mounted.get(view_id)

    def _build(self, spec: ViewSpec) -> Widget:
        try:
            cls = spec.load()
        except ModuleNotFoundError as exc:
            if exc.name != spec.module:
                raise
            return Placeholder(f"The {spec.title} view is not written yet ({spec.module}).", id=spec.id)
        try:
            widget: Widget = cls(self.ctx)
        except Exception as exc:  # noqa: BLE001 - one broken view must not take the dashboard down
            return Placeholder(f"The {spec.title} view failed to start: {type(exc).__name__}: {exc}",
                               id=spec.id, markup=False)
        if widget.id is None:
            widget.id = spec.id
        return widget

    async def show_view(self, view_id: str) -> Widget | None:
        """Show a view (mounting it the first time), select its tab, focus it."""
        spec = self.spec(view_id)
        if spec is None:
            return None
        switcher = self.query_one(ContentSwitcher)
        widget = self._mounted.get(view_id)
        if widget is None:
            widget = self._build(spec)
            self._mounted[view_id] = widget
            await switcher.mount(widget)
            if self.connected is not None:
                self._call(widget, "on_state", self.snapshot)
        switcher.current = widget.id
        tabs = self.query_one(Tabs)
        if tabs.active != f"tab-{view_id}":
            tabs.active = f"tab-{view_id}"
        self._focus_view(widget)
        self.refresh_bindings()
        return widget

    def _focus_view(self, widget: Widget) -> None:
        if widget.focusable:
            widget.focus()
            return
        for child in widget.query("*"):
            if child.focusable:
                child.focus()
                return

    def action_key(self, key: str) -> None:
        """A click on a key in the key bar: as if it was pressed."""
        self.simulate_key(key)

    async def action_show_view(self, view_id: str) -> None:
        await self.show_view(view_id)

    async def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        view_id = (event.tab.id or "").removeprefix("tab-")
        if view_id and view_id != self.current_view:
            await self.show_view(view_id)

    async def show_logs(self, service: str | None) -> None:
        """Open the logs view on one service (None: all), as the services view's `l` asks."""
        widget = await self.show_view("logs")
        show = getattr(widget, "show_service", None)
        if show is not None:
            show(service)
        elif widget is not None:
            self.notify("the logs view is not available yet", severity="warning")

    def action_help(self) -> None:
        from devctl.tui.overlays import HelpScreen, binding_rows

        if isinstance(self.screen, HelpScreen):
            return
        spec = self.spec(self.current_view or "")
        widget = self.view(spec.id) if spec else None
        view_keys = binding_rows(list(getattr(type(widget), "BINDINGS", []))) if widget else []
        keys = "/".join(v.key for v in self.views)
        global_keys = [(keys, "switch view: " + ", ".join(v.title for v in self.views)),
                       *binding_rows(list(self.BINDINGS))]
        self.push_screen(HelpScreen(spec.title if spec else "", view_keys, global_keys))

    # ---- the feed --------------------------------------------------------------------------

    def _deliver(self, kind: str, value: Any) -> None:
        """Called on the feed's thread."""
        if not self.post_message(FeedMessage(kind, value)):
            raise RuntimeError("the app is closing")

    def deliver(self, kind: str, value: Any) -> None:
        """Hand the app one delivery on its own thread (what the feed's messages end in; tests
        call it directly)."""
        if kind == "state":
            self.snapshot = value
            if value is not None:
                self.stale = None
            self.connected = value is not None
            self.query_one("#header", Static).update(self._header_text())
            for widget in self._mounted.values():
                self._call(widget, "on_state", value)
        elif kind == "event":
            for widget in self._mounted.values():
                self._call(widget, "on_supervisor_event", value)
        elif kind in ("usage", "stale"):
            if kind == "stale":
                self.stale = value
                self.query_one("#header", Static).update(self._header_text())
            for widget in self._mounted.values():
                self._call(widget, f"on_{kind}", value)

    def on_feed_message(self, message: FeedMessage) -> None:
        self.deliver(message.kind, message.value)

    def _call(self, widget: Widget, hook: str, value: Any) -> None:
        fn = getattr(widget, hook, None)
        if fn is None:
            return
        try:
            fn(value)
        except Exception as exc:  # noqa: BLE001 - a view's bug must not stop the others' updates
            self.log.error(f"{type(widget).__name__}.{hook} failed: {exc!r}")

    def wake_feed(self) -> None:
        if self.feed is not None:
            self.feed.wake()

    # ---- children (the CLI runs the views started) -----------------------------------------

    def track_child(self, run: CliRun) -> None:
        self.children_running.add(run)

    def untrack_child(self, run: CliRun) -> None:
        self.children_running.discard(run)

    def stop_children(self) -> None:
        """Stop what the views started and still runs (an `up` in progress stops what it started)."""
        for run in list(self.children_running):
            if run.running():
                run.stop()
                self.stopped_children.append(" ".join(run.args[:1]))
            self.children_running.discard(run)

    async def on_unmount(self) -> None:
        if self.feed is not None:
            self.feed.stop()
        self.stop_children()

    def exit_note(self) -> str:
        return exit_note(self._final_snapshot(), self.stopped_children, self.stale)

    def _final_snapshot(self) -> dict[str, Any] | None:
        """The supervisor as it is now, read once more: the feed may not have seen the last
        change (an `up` just started it, or the dashboard quit before the feed's first look),
        and the exit line must not say "nothing is running" while services run."""
        from devctl.errors import DevctlError
        from devctl.supervisor import client
        from devctl.supervisor.paths import supervisor_alive

        try:
            if not supervisor_alive(self.ctx.paths.lock):
                return None
            return client.read_status(self.ctx.paths)
        except (DevctlError, OSError):
            return self.snapshot


def run(ctx: TuiContext) -> str:
    """Run the dashboard until the user quits; returns what to print on exit."""
    app = DevctlApp(ctx)
    try:
        app.run()
    finally:
        app.stop_children()
    return app.exit_note()
