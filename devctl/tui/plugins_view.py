"""The plugins view: every plugin, what its handshake declared, what it last printed; run its commands.

Where the data comes from — only what the CLI itself reads, and no plugin is started to draw it:
- `.devctl.yaml` (`devctl.config`): every plugin, disabled ones too, in (priority, id) order;
- `.devctl/pipeline.json` (`devctl.pipeline.record`): the handshake (ops, streams, commands),
  protocol warnings and last stderr lines each plugin had in the last `up` / `plan`, or why it
  failed to start;
- `.devctl/cache/commands.json` (`devctl.plugin_commands.cache`): each command's help line.
A plugin added since the last run says so ("not run yet") rather than being started behind the
user's back; `devctl plan` (or `up`) fills it in.

Running a command (`c` or `enter`): the command line is `devctl <command> [ARGS]` — the CLI itself
in a child process (`devctl.tui.actions.CliRun`, as the services view's `up`) in its own process
group, its stdout and stderr (a plugin command's output is its stderr) shown as they arrive.
`ctrl+x` (and quitting the dashboard, and a second run) stops it as Ctrl-C in a terminal would:
SIGINT to its group and to the plugin it started, then SIGKILL after a grace period, so nothing
outlives the dashboard.
"""

from __future__ import annotations

import json
import shlex
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Input, RichLog, Static

from devctl.tui.actions import CliRun

if TYPE_CHECKING:
    from pathlib import Path

    from textual.app import ComposeResult

    from devctl.tui.context import TuiContext

#: Seconds a stopped command gets to end after SIGINT (devctl then closes the plugin) before SIGKILL.
STOP_GRACE = 5.0
#: Output lines kept in the output pane.
OUTPUT_LINES = 5000


@dataclass
class PluginInfo:
    """One row of the view and its details (pure data, built by `plugin_infos`)."""

    id: str
    enabled: bool = True
    priority: int = 0
    path: str = ""
    status: str = ""  # started | failed | disabled | not run yet
    ops: list[str] = field(default_factory=list)
    streams: list[str] = field(default_factory=list)
    commands: list[dict[str, str]] = field(default_factory=list)  # [{name, help}]
    handshake: dict[str, Any] | None = None
    stderr: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def plugin_infos(specs: list[Any], record: dict[str, Any] | None,
                 listings: list[Any] | None = None) -> list[PluginInfo]:
    """Merge the config's plugins, the last run's record and the command cache into one list.

    The config is the list (a plugin removed from it is gone, one added is shown); the record adds
    what the plugin said; the cache adds each command's help."""
    recorded = {p.get("id"): p for p in (record or {}).get("plugins", [])}
    failure = (record or {}).get("failure") or {}
    helps = {getattr(item, "plugin", None): item for item in listings or []}
    out = []
    for spec in specs:
        info = PluginInfo(id=spec.id, enabled=bool(spec.enabled), priority=int(spec.priority),
                          path=" ".join([str(spec.path), *(str(a) for a in spec.args)]))
        seen = recorded.get(spec.id)
        if not spec.enabled:
            info.status = "disabled"
        elif seen is None:
            info.status = "not run yet"
        elif seen.get("started"):
            info.status = "started"
        else:
            info.status = "failed" if failure.get("plugin") == spec.id else "not started"
        if seen is not None:
            info.ops = list(seen.get("ops") or [])
            info.streams = list(seen.get("streams") or [])
            info.handshake = seen.get("handshake")
            info.stderr = list(seen.get("stderr") or [])
            info.warnings = list(seen.get("warnings") or [])
            info.commands = [{"name": str(c), "help": ""} for c in seen.get("commands") or []]
        if failure.get("plugin") == spec.id:
            info.error = str(failure.get("message"))
        listing = helps.get(spec.id)
        if listing is not None:
            by_name = {c["name"]: c for c in info.commands}
            for command in listing.commands:
                by_name[command["name"]] = {"name": command["name"], "help": command.get("help", "")}
            info.commands = list(by_name.values())
            if listing.error and not info.error:
                info.error = listing.error
        out.append(info)
    return out


def details_text(info: PluginInfo, record: dict[str, Any] | None) -> str:
    """The details pane of one plugin, as plain lines."""
    lines = [f"{info.id}  ({info.status}; priority {info.priority})", f"run: {info.path}"]
    if info.error:
        lines.append(f"error: {info.error}")
    if info.status == "not run yet":
        lines.append("not in the last pipeline run: `devctl plan` or `devctl up` records its handshake")
    elif record is not None and info.status != "disabled":
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.get("started", 0)))
        lines.append(f"as seen by the last `devctl {record.get('command')}` ({when})")
    lines.append("ops: " + (", ".join(info.ops) or "none"))
    lines.append("streams: " + (", ".join(info.streams) or "none"))
    if info.commands:
        lines.append("commands (enter runs one):")
        lines.extend(f"  {c['name']}" + (f" — {c['help']}" if c.get("help") else "") for c in info.commands)
    else:
        lines.append("commands: none")
    if info.warnings:
        lines.append("protocol warnings:")
        lines.extend(f"  {w}" for w in info.warnings)
    if info.handshake is not None:
        lines.append("handshake:")
        # One line per top-level field: the whole frame indented would push the stderr lines
        # off an 80x24 screen.
        fields = sorted(info.handshake.items())
        lines.extend(f"  {key}: {json.dumps(value, sort_keys=True)}" for key, value in fields
                     if key != "type")
    lines.append(f"last stderr lines ({len(info.stderr)}):" if info.stderr else "stderr: nothing recorded")
    lines.extend(f"  | {line}" for line in info.stderr)
    return "\n".join(lines)


def command_words(text: str) -> list[str]:
    """What the user typed, split by shell quoting rules (no shell runs), without a leading
    `devctl`. ValueError for unbalanced quotes or nothing."""
    words = shlex.split(text)
    if words and words[0] == "devctl":
        words = words[1:]
    if not words:
        raise ValueError("no command given")
    return words


class CommandRun(CliRun):
    """One `devctl COMMAND ARGS` child of the plugins view (`actions.CliRun`, the dashboard's one way
    to run the CLI): stdout and stderr merged in order, read in chunks, stopped as Ctrl-C would."""

    def __init__(self, root: Path, words: list[str], config_file: Path | None = None) -> None:
        # Colour off: the output pane shows text, not escape codes.
        super().__init__(root, *words, env={"NO_COLOR": "1"}, config_file=config_file, merge_stderr=True)
        self.stopped = False
        self._lock = threading.Lock()

    def pump(self, on_lines: Callable[[list[str]], None]) -> int:
        """Read the output to its end, handing on what each read brought as one batch (a flood is
        one UI update per 64 KiB pipe read, not one per line; a lone line is shown at once);
        return the exit code."""
        import os

        from devctl.procs.lines import LineReader

        assert self.proc.stdout is not None
        reader, fd = LineReader(), self.proc.stdout.fileno()
        try:
            while chunk := os.read(fd, 65536):
                lines = [raw.decode("utf-8", "replace").rstrip("\r") for raw in reader.splitter.feed(chunk)]
                if lines:
                    on_lines(lines)
        except ValueError:  # a line over 1 MiB: say so, stop reading (the child is left to end)
            on_lines(["… (a line longer than 1 MiB: output cut here)"])
        tail = reader.splitter.flush()
        if tail:
            on_lines([tail.decode("utf-8", "replace")])
        return self.wait()

    def stop(self, grace: float = STOP_GRACE, *, sig: int = signal.SIGINT, below: bool = True) -> None:
        """SIGINT, as Ctrl-C in a terminal: devctl closes the plugin it started; the plugin (in a
        session of its own) gets it too, and both SIGKILL after `grace`. Returns once all are gone."""
        with self._lock:
            self.stopped = True
            if self.proc.poll() is None:
                super().stop(grace, sig=sig, below=below)


class PluginsView(Vertical):
    """Every plugin, its handshake and last stderr lines; run its commands (see the module docstring)."""

    DEFAULT_CSS = """
    PluginsView { height: 1fr; }
    PluginsView > #plugins-table { height: auto; max-height: 40%; }
    PluginsView > #plugins-details { height: 1fr; padding: 0 1; }
    PluginsView > #plugins-prompt { display: none; }
    PluginsView > #plugins-prompt.shown { display: block; }
    PluginsView > #plugins-output { height: 1fr; display: none; border-top: solid $primary; }
    PluginsView > #plugins-output.shown { display: block; }
    """
    BINDINGS = [
        # enter on a row reaches the view as the table's RowSelected (the table owns that key, so the
        # footer cannot show it); `c` is the same action, and visible.
        Binding("c", "run", "Run command",
                tooltip="run a command of the selected plugin as `devctl COMMAND ARGS` (edit, then enter)"),
        Binding("enter", "run", "Run command", show=False, tooltip="the same as c"),
        Binding("ctrl+x", "stop", "Stop command",
                tooltip="stop the running command as Ctrl-C would (SIGKILL after 5 s)"),
        Binding("o", "toggle_output", "Output", tooltip="show or hide the last command's output"),
        Binding("r", "reload", "Reload",
                tooltip="read the config, .devctl/pipeline.json and the command cache again"),
        Binding("escape", "cancel", "Cancel", show=False),
    ]

    def __init__(self, ctx: TuiContext, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.ctx = ctx
        self.infos: list[PluginInfo] = []
        self.record: dict[str, Any] | None = None
        self.problem: str | None = None  # the config could not be read
        self.run_: CommandRun | None = None
        self.exit_code: int | None = None
        self.finished = False  # the last command ended and its last line is shown
        self.loads = 0

    def compose(self) -> ComposeResult:
        table: DataTable[Any] = DataTable(id="plugins-table", cursor_type="row")
        table.add_column("plugin", key="plugin")
        table.add_column("status", key="status")
        table.add_column("ops", key="ops")
        table.add_column("commands", key="commands")
        yield table
        with VerticalScroll(id="plugins-details"):
            yield Static("reading the config…", id="plugins-info")
        yield Input(placeholder="devctl COMMAND [ARGS]  (enter: run, escape: cancel)", id="plugins-prompt",
                    select_on_focus=False)
        yield RichLog(id="plugins-output", max_lines=OUTPUT_LINES, wrap=False, markup=False)

    def on_mount(self) -> None:
        self.action_reload()

    def on_unmount(self) -> None:
        # The dashboard stops the children it tracks when it quits, and says which it stopped; a
        # host that tracks nothing (a test app) leaves it to the view.
        if not callable(getattr(self.app, "track_child", None)):
            self._stop_run(wait=True)

    # -- loading -----------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="plugins-load")
    def load(self) -> None:
        from devctl.config import load_config
        from devctl.errors import DevctlError
        from devctl.pipeline.record import read_record
        from devctl.plugin_commands import cache

        record = read_record(self.ctx.root)
        stored = cache.read(self.ctx.root)
        try:
            cfg = load_config(self.ctx.root, self.ctx.config_file)
        except DevctlError as exc:
            self.app.call_from_thread(self._loaded, [], record, exc.message)
            return
        infos = plugin_infos(cfg.all_plugins, record, stored.listings if stored else None)
        self.app.call_from_thread(self._loaded, infos, record, None)

    def _loaded(self, infos: list[PluginInfo], record: dict[str, Any] | None, problem: str | None) -> None:
        self.infos, self.record, self.problem = infos, record, problem
        self.loads += 1
        table = self.query_one("#plugins-table", DataTable)
        row = table.cursor_row
        table.clear()
        for info in infos:
            commands = ", ".join(c["name"] for c in info.commands)
            style = "" if self.ctx.no_color else {"started": "green", "failed": "red", "disabled": "dim",
                                                  "not started": "yellow"}.get(info.status, "")
            table.add_row(info.id, Text(info.status, style=style), str(len(info.ops) + len(info.streams)),
                          commands or "-", key=info.id)
        if infos:
            table.move_cursor(row=min(max(row, 0), len(infos) - 1), animate=False)
        self._show_details()

    def on_supervisor_event(self, event: dict[str, Any]) -> None:
        if event.get("event") == "up_done":  # a new record of the pipeline is there
            self.action_reload()

    # -- details -----------------------------------------------------------------------------

    @property
    def selected(self) -> PluginInfo | None:
        table = self.query_one("#plugins-table", DataTable)
        if not self.infos or table.cursor_row < 0 or table.cursor_row >= len(self.infos):
            return None
        return self.infos[table.cursor_row]

    def on_data_table_row_highlighted(self, _message: DataTable.RowHighlighted) -> None:
        self._show_details()

    def on_data_table_row_selected(self, message: DataTable.RowSelected) -> None:
        message.stop()  # enter on a row: the table's own binding, so the view's never fires there
        self.action_run()

    def _show_details(self) -> None:
        info = self.selected
        if self.problem is not None:
            text = f"the config cannot be read: {self.problem}"
        elif info is None:
            text = "no plugins configured (.devctl.yaml `plugins:` or plugins/devctl-*)"
        else:
            text = details_text(info, self.record)
        self.query_one("#plugins-info", Static).update(Text(text))

    # -- running a command -------------------------------------------------------------------

    def action_run(self) -> None:
        prompt = self.query_one("#plugins-prompt", Input)
        info = self.selected
        if info is None or not info.commands:
            self.notify(f"plugin {info.id} declares no commands" if info else "no plugin selected",
                        severity="warning")
            return
        prompt.value = f"{info.commands[0]['name']} "
        prompt.add_class("shown")
        prompt.focus()
        prompt.cursor_position = len(prompt.value)

    def action_cancel(self) -> None:
        prompt = self.query_one("#plugins-prompt", Input)
        if prompt.has_class("shown"):
            prompt.remove_class("shown")
            self.query_one("#plugins-table").focus()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        message.stop()
        prompt = self.query_one("#plugins-prompt", Input)
        try:
            words = command_words(message.value)
        except ValueError as exc:
            self.notify(f"cannot run that: {exc}", severity="error")
            return
        known = sorted({c["name"] for info in self.infos for c in info.commands})
        if words[0] not in known:
            # This prompt runs what plugins add; a built-in typed here (`down`, `logs -f`) would
            # skip the questions and views the dashboard has for it.
            self.notify(f"{words[0]!r} is not a plugin command; this prompt runs "
                        f"{', '.join(known) or 'plugin commands only'}", severity="error")
            return
        prompt.remove_class("shown")
        self.query_one("#plugins-table").focus()
        self.start(words)

    def start(self, words: list[str]) -> None:
        """Run `devctl WORDS...` on this repo, its output in the output pane."""
        shown = shlex.join(words)
        out = self.query_one("#plugins-output", RichLog)
        out.add_class("shown")
        out.clear()
        out.write(Text(f"$ devctl {shown}", style="" if self.ctx.no_color else "bold"))
        self.exit_code = None
        self.finished = False
        self._run_worker(words, shown)

    @work(thread=True, group="plugins-run")
    def _run_worker(self, words: list[str], shown: str) -> None:
        previous = self.run_
        if previous is not None:  # one command at a time: the previous one is stopped first
            previous.stop()
        try:
            run = CommandRun(self.ctx.root, words, self.ctx.config_file)
        except OSError as exc:
            self.app.call_from_thread(self._finished, None, f"could not start devctl: {exc}")
            return
        self.run_ = run
        self.app.call_from_thread(self._track, run, True)
        code = run.pump(lambda lines: self.app.call_from_thread(self._write, lines))
        self.app.call_from_thread(self._track, run, False)
        if run.stopped:
            self.app.call_from_thread(self._finished, code, f"stopped (devctl {shown})")
        else:
            from devctl.procs.exits import describe_exit

            self.app.call_from_thread(self._finished, code, f"devctl {shown}: {describe_exit(code)}")

    def _track(self, run: CommandRun, running: bool) -> None:
        # The app stops what is still running when it quits (and says so); a test host has no such hook.
        hook = getattr(self.app, "track_child" if running else "untrack_child", None)
        if callable(hook):
            hook(run)

    def _write(self, lines: list[str]) -> None:
        out = self.query_one("#plugins-output", RichLog)
        for line in lines:
            out.write(Text(line))

    def _finished(self, code: int | None, text: str) -> None:
        self.exit_code = code
        self.finished = True
        style = "" if self.ctx.no_color else ("green" if code == 0 else "red")
        self.query_one("#plugins-output", RichLog).write(Text(f"— {text}", style=style))

    def action_stop(self) -> None:
        if self.run_ is not None and self.run_.running():
            self._stop_run(wait=False)
        else:
            self.notify("no command is running")

    def _stop_run(self, *, wait: bool) -> None:
        run = self.run_
        if run is None or not run.running():
            return
        if wait:
            run.stop()
        else:
            threading.Thread(target=run.stop, name="devctl-command-stop", daemon=True).start()

    def action_toggle_output(self) -> None:
        self.query_one("#plugins-output", RichLog).toggle_class("shown")
