"""The Dofek view: the repo's `dofek.toml` plugins — their panels, metrics and process labels —
live in the dashboard, beside the services.

Why it reuses `devctl dofek run` wholesale: the poll host (`devctl.dofek.poller.DofekHost`, built
by `DofekHost.for_repo` exactly as the CLI builds it), the config lookup (`devctl.dofek.config`)
and the drawing (`devctl.dofek.render`) are the ones `devctl dofek run` uses, so a plugin looks
and behaves the same in both, and `devctl dofek check` explains what either shows.

Why a thread of its own: the host is an anyio tick loop that scans `/proc` and talks to plugin
pipes. It runs in a Textual thread worker with its own event loop and hands each tick's snapshot
to the view as a message (`post_message` is thread-safe), so a key press never waits on a scan
or a slow plugin. Stopping is the host's own shutdown (`shutdown` line, stdin closed, the group
killed 2 s later): the view asks for it when it is unmounted — the app quitting included — and
waits for the plugins to be gone, so no plugin outlives the dashboard.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from devctl.dofek import render
from devctl.dofek.config import DofekConfig, load_found
from devctl.errors import DevctlError
from devctl.tui.context import TuiContext

#: How long unmounting waits for the plugins to be shut down: the host's 2 s grace after the
#: `shutdown` line, plus room for a loaded machine.
STOP_WAIT_S = 6.0
#: Last stderr lines shown per plugin when the stderr panel is on.
STDERR_LINES = 5


class DofekView(VerticalScroll):
    """Dofek's plugin dock, metrics ticker and process watchlist, refreshed on every tick."""

    BINDINGS = [
        Binding("w", "toggle_processes", "Processes", tooltip="Show or hide the process watchlist"),
        Binding("e", "toggle_stderr", "Plugin stderr",
                tooltip="Show or hide each plugin's last stderr lines (.devctl/logs/dofek/<name>.log)"),
        Binding("r", "reload", "Reload dofek.toml",
                tooltip="Read dofek.toml again and restart its plugins (after editing it)"),
    ]

    DEFAULT_CSS = """
    DofekView { padding: 0 1; }
    DofekView > Static { margin-bottom: 1; }
    DofekView > #dofek-stderr { display: none; }
    DofekView.-stderr > #dofek-stderr { display: block; }
    DofekView.-no-processes > #dofek-processes { display: none; }
    """

    class Tick(Message):
        """One snapshot of the host (`DofekHost.snapshot`), with each plugin's last stderr lines."""

        def __init__(self, snapshot: dict[str, Any], stderr: dict[str, list[str]]) -> None:
            super().__init__()
            self.snapshot = snapshot
            self.stderr = stderr

    class Failed(Message):
        """The host could not start (a broken `dofek.toml`) or stopped on an error."""

        def __init__(self, message: str, details: list[str]) -> None:
            super().__init__()
            self.message = message
            self.details = details

    def __init__(self, ctx: TuiContext, *, load: Callable[[], DofekConfig] | None = None,
                 live: bool = True, id: str | None = "dofek") -> None:
        """`load` reads the config (default: the lookup of `devctl dofek run` from the repo root);
        `live=False` starts no host: the view then shows only what `show()` is given (tests,
        screenshots)."""
        super().__init__(id=id)
        self.ctx = ctx
        self._load = load or (lambda: load_found(None, ctx.root, ctx.root))
        self._live = live
        self.config: DofekConfig | None = None
        #: The latest tick shown, or None before the first one.
        self.snapshot: dict[str, Any] | None = None
        self._stop_requested = threading.Event()
        self._done = threading.Event()
        self._done.set()
        self._host_loop: asyncio.AbstractEventLoop | None = None
        self._host_stop: Any = None
        self._lock = threading.Lock()

    def compose(self) -> Any:
        yield Static(Text("dofek: starting plugins…", style="dim"), id="dofek-head")
        yield Static("", id="dofek-dock")
        yield Static("", id="dofek-metrics")
        yield Static("", id="dofek-stderr")
        yield Static("", id="dofek-processes")

    def on_mount(self) -> None:
        if self._live:
            self._start()

    async def on_unmount(self) -> None:
        await self.stop()

    # ---- the host, in its own thread -----------------------------------------------------------

    def _start(self) -> None:
        self._stop_requested.clear()
        self._done.clear()
        self.run_worker(self._host_thread, thread=True, group="dofek-host", exit_on_error=False)

    def _host_thread(self) -> None:
        """Load the config, run the host until asked to stop; always sets `_done`."""
        try:
            try:
                config = self._load()
            except DevctlError as exc:
                self.post_message(self.Failed(str(exc), list(exc.details)))
                return
            self.config = config
            import anyio

            anyio.run(self._host_main, config, backend="asyncio")
        except Exception as exc:  # the view shows it; the dashboard keeps running
            self.post_message(self.Failed(f"dofek host stopped: {exc}", []))
        finally:
            self._done.set()

    async def _host_main(self, config: DofekConfig) -> None:
        import anyio

        from devctl.dofek.poller import DofekHost

        host = DofekHost.for_repo(config, self.ctx.root)
        stop = anyio.Event()
        with self._lock:
            self._host_loop, self._host_stop = asyncio.get_running_loop(), stop
        if self._stop_requested.is_set():
            stop.set()

        def on_tick(snapshot: dict[str, Any]) -> None:
            stderr = {r.name: r.stderr_tail(STDERR_LINES) for r in host.runners}
            self.post_message(self.Tick(snapshot, stderr))

        try:
            await host.run(on_tick, stop=stop)
        finally:
            with self._lock:
                self._host_loop, self._host_stop = None, None

    def request_stop(self) -> None:
        """Ask the host to shut its plugins down; returns at once (`stop()` waits)."""
        self._stop_requested.set()
        with self._lock:
            loop, stop = self._host_loop, self._host_stop
        if loop is not None and stop is not None:
            # RuntimeError: that loop just ended, so there is nothing left to stop.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)

    async def stop(self, timeout: float = STOP_WAIT_S) -> bool:
        """Stop the host and wait (without blocking the app) until its plugins are gone."""
        self.request_stop()
        if self._done.is_set():
            return True
        return await asyncio.to_thread(self._done.wait, timeout)

    # ---- keys ------------------------------------------------------------------------------------

    def action_toggle_processes(self) -> None:
        self.toggle_class("-no-processes")

    def action_toggle_stderr(self) -> None:
        self.toggle_class("-stderr")

    def action_reload(self) -> None:
        """Read `dofek.toml` again and restart its plugins (after editing it)."""
        if self._live:
            self.run_worker(self._reload(), group="dofek-reload", exclusive=True)

    async def _reload(self) -> None:
        self.query_one("#dofek-head", Static).update(Text("dofek: reloading dofek.toml…", style="dim"))
        await self.stop()
        self._start()

    # ---- drawing ---------------------------------------------------------------------------------

    def on_dofek_view_tick(self, message: DofekView.Tick) -> None:
        self.show(message.snapshot, message.stderr)

    def on_dofek_view_failed(self, message: DofekView.Failed) -> None:
        text = Text(message.message, style="bold red")
        for line in message.details:
            text.append(f"\n  {line}", style="red")
        text.append("\nfix it, then press r to reload", style="dim")
        self.query_one("#dofek-head", Static).update(text)
        for part in ("dock", "metrics", "stderr", "processes"):
            self.query_one(f"#dofek-{part}", Static).update("")

    def show(self, snapshot: dict[str, Any], stderr: dict[str, list[str]] | None = None) -> None:
        """Draw one snapshot (the shape `devctl dofek run --json` prints)."""
        self.snapshot = snapshot
        self.query_one("#dofek-head", Static).update(head(snapshot, self.config))
        self.query_one("#dofek-dock", Static).update(render.dock(snapshot["plugins"]))
        self.query_one("#dofek-metrics", Static).update(render.ticker(snapshot["metrics"]))
        self.query_one("#dofek-stderr", Static).update(stderr_panel(stderr or {}))
        self.query_one("#dofek-processes", Static).update(render.watchlist(snapshot["processes"]))


def head(snapshot: dict[str, Any], config: DofekConfig | None) -> Text:
    """The view's first line: which config, how often, how many plugins are healthy. No clock:
    the app's header has the time, and a line that changes every second is noise."""
    plugins = snapshot["plugins"]
    healthy = sum(1 for p in plugins if p["state"] == "healthy")
    text = Text()
    text.append("Dofek", style="bold")
    name = Path(snapshot["config"]).name if snapshot.get("config") else "no dofek.toml (defaults)"
    text.append(f"  {name} · refresh {snapshot['refresh_ms']} ms · "
                f"{healthy}/{len(plugins)} plugins healthy · {snapshot['process_count']} processes",
                style="dim")
    for warning in (config.warnings if config is not None else ())[:3]:
        text.append(f"\n⚠ {warning}", style="yellow")
    return text


def stderr_panel(stderr: dict[str, list[str]]) -> RenderableType:
    """Each plugin's last stderr lines (the full log is `.devctl/logs/dofek/<name>.log`)."""
    parts: list[RenderableType] = [Text("Plugin stderr", style="bold")]
    if not stderr:
        parts.append(Text("  no plugins", style="dim"))
    for name, lines in stderr.items():
        parts.append(Text(f"  {name}", style="bold"))
        if not lines:
            parts.append(Text("    (nothing yet)", style="dim"))
        parts.extend(Text(f"    {line}", style="dim") for line in lines)
    return Group(*parts)

