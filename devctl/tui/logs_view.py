"""The logs view: one service's output, or every service merged with coloured prefixes.

Reading is `logsource`'s (windows by byte position, so a 1 GB log opens at once); this module is
what the user sees and the keys. File I/O (finding and opening the files, reading, scanning) runs
in worker threads and comes back through `call_from_thread`: a key press only moves within the
lines already held, or starts a read.

Following is the same read as scrolling down (`Window.read_newer`), repeated every `FOLLOW_S`
while the view shows the end: a service writing 10k lines/s costs one batch of ~1000 lines and
one repaint per tick, never a repaint per line. Scrolling up pauses following (like `less +F`);
`end`/`G` or `f` resumes it.

Choices where the issue is silent (docs/tui.md says them to users):
- several streams are in `devctl logs`' order: by time when every line is stamped, else stream by
  stream (each service's stdout, then its stderr); lines that arrive while following are
  appended as they come;
- search and filter are plain text, case-insensitive unless the text has an upper-case letter
  (smartcase, as in `less -i` and vim); a new search looks down from the top of the screen —
  up from the end while following — and, finding nothing there, the other way;
- "first error" is the first line of the current run's file (`<svc>.<stream>.log`, which a
  restart starts afresh) with a word like `error`, `fatal`, `panic`, `exception`, `traceback`,
  `failed` or `crashed` (`logsource.ERRORS`); `n`/`N` then go on through the errors;
- long lines are cut at the screen's edge (left/right scroll them), not wrapped.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from devctl.supervisor import logs
from devctl.supervisor.logfiles import TS_WIDTH, line_time
from devctl.tui import logsource as ls
from devctl.tui.context import TuiContext
from devctl.tui.logsource import Chain, Line, Loaded, Pos, Window

#: Seconds between two reads of new lines while following (one repaint per batch); after a second
#: with nothing new, `FOLLOW_IDLE_S` (a quiet view costs ~2 system calls per file per tick).
FOLLOW_S = 0.1
FOLLOW_IDLE_S = 0.25
#: Lines one follow read takes at most (a flood is caught up over several ticks).
FOLLOW_BATCH = 5000
#: Lines read per scroll step beyond what is held.
PAGE_READ = 500
#: Lines a view holds at most.
CAP = 20_000
#: Prefix colours per service, cycled (the same order as `devctl logs`' ANSI colours).
COLOURS = ("cyan", "magenta", "yellow", "green", "blue", "red",
           "bright_cyan", "bright_magenta", "bright_yellow", "bright_green", "bright_blue", "bright_red")
STREAM_MODES = ("both", "stdout", "stderr")


class LogBody(Widget, can_focus=True):
    """The lines on screen; the view owns the state, this only paints it."""

    DEFAULT_CSS = """
    LogBody { height: 1fr; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, view: LogsView) -> None:
        super().__init__(id="logs-body")
        self.view = view

    def render(self) -> Text:
        return self.view.paint(self.size.height, self.size.width)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.view.scroll_lines(-3)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self.view.scroll_lines(3)

    def on_resize(self, event: events.Resize) -> None:
        self.view.clamp()


class LogsView(Vertical):
    """`LogsView(ctx)`; `show_service(name)` picks one service, `show_service(None)` all of them."""

    DEFAULT_CSS = """
    LogsView { height: 1fr; }
    LogsView > #logs-status { height: 1; background: $boost; }
    LogsView > #logs-input { display: none; }
    LogsView > #logs-input.open { display: block; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "toggle_follow", "Follow",
                tooltip="follow on/off: keep showing new lines as they are written"),
        Binding("s", "cycle_stream", "Out/err/both", tooltip="show stdout, stderr, or both"),
        Binding("/", "search", "Search",
                tooltip="search for a text (smartcase), highlighted; while following, upwards"),
        Binding("n", "next_match", "Next", tooltip="the next match, downwards"),
        Binding("N", "prev_match", "Previous", tooltip="the previous match, upwards"),
        Binding("&", "filter", "Filter",
                tooltip="show only the lines with a text (empty: every line again)"),
        Binding("e", "first_error", "First error",
                tooltip="the first error line of the current run; then n/N go through the errors"),
        Binding("escape", "clear", "Clear", show=False, tooltip="clear the search, then the filter"),
        Binding("a", "all_services", "All services", tooltip="every service, merged, with prefixes"),
        Binding("[", "next_service(-1)", "Previous service", show=False,
                tooltip="the previous service (\"all\" comes between the last and the first)"),
        Binding("]", "next_service(1)", "Next service", show=False, tooltip="the next service"),
        Binding("t", "toggle_stamps", "Timestamps", show=False,
                tooltip="hide or show the time stamps of stamped lines"),
        Binding("up,k", "scroll(-1)", "Line up", show=False, tooltip="one line up (pauses following)"),
        Binding("down,j", "scroll(1)", "Line down", show=False, tooltip="one line down"),
        Binding("pageup,b", "page(-1)", "Page up", show=False, tooltip="a screen up (pauses following)"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, tooltip="a screen down"),
        Binding("left,h", "pan(-1)", "Left", show=False, tooltip="scroll long lines left"),
        Binding("right,l", "pan(1)", "Right", show=False,
                tooltip="scroll long lines right (they are cut at the edge, not wrapped)"),
        Binding("home,g", "top", "Start", show=False, tooltip="the first line (of the oldest file kept)"),
        Binding("end,G", "bottom", "End", show=False, tooltip="the last line, and follow again"),
    ]

    def __init__(self, ctx: TuiContext, *, id: str | None = "logs") -> None:
        super().__init__(id=id)
        self.ctx = ctx
        self.service: str | None = None
        self.stream_mode = "both"
        self.follow = True
        self.search: ls.Needle | None = None
        self.search_text = ""
        self.filter_text = ""
        self.current: Line | None = None  # the match last jumped to
        self.top = 0  # index in window.lines of the first line on screen
        self.stamps = True  # show the `logs: {timestamps: true}` stamps lines start with
        self.x = 0  # columns of each line scrolled off to the left (long lines are cut, not wrapped)
        self.message = ""
        self.known: list[str] = []
        self.sources: list[tuple[str, str]] = []  # (service, stream) per chain
        self.window = Window([], cap=CAP)
        self._retired: list[list[Chain]] = []
        self._stop = threading.Event()
        self._loading: set[str] = set()
        self._input_mode = ""
        self._height = 20
        self._live = False
        self._jump_cancel: threading.Event | None = None
        self._opening = 0  # which `_rebuild` the window being opened belongs to
        self._was_hidden = False  # another view was shown since this one last was

    # -- layout and hooks ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="logs-status")
        yield LogBody(self)
        yield Input(id="logs-input")

    def on_mount(self) -> None:
        self._live = True  # `is_mounted` turns true only after this handler
        self._rebuild()  # a `show_service` before mounting chose what; reading starts now
        self.run_worker(self._follow_loop, thread=True, group="logs-follow", name="logs follow")

    def on_unmount(self) -> None:
        self._live = False
        self._stop.set()
        for chains in [*self._retired, self.window.chains]:
            for chain in chains:
                chain.close()
        self._retired = []

    def on_hide(self) -> None:
        self._was_hidden = True

    def on_show(self) -> None:
        self.query_one(LogBody).focus()
        if self._was_hidden and self.follow and self._live:
            # Hidden, it read nothing: catching up a flood batch by batch would show old lines
            # as "following" for minutes. Reopen at the end instead (in a worker, like any choice).
            self._rebuild()
        self._was_hidden = False

    def on_state(self, snapshot: dict[str, Any] | None) -> None:
        """New services appear under "all" (their log files may not exist yet)."""
        names = [s["name"] for s in (snapshot or {}).get("services", []) if "name" in s]
        if names and names != self.known:
            self.known = names
            if self.service is None and set(logs.services_with_logs(self.ctx.paths.logs, names)) != {
                    s for s, _ in self.sources}:
                self._rebuild()

    def on_supervisor_event(self, event: dict[str, Any]) -> None:
        """Nothing to do: a restart's new file is picked up by following itself."""

    # -- what is shown ---------------------------------------------------------------------

    def show_service(self, name: str | None) -> None:
        """Show one service's logs (None: every service, merged, with prefixes)."""
        self.service = name
        self._rebuild()

    def _rebuild(self) -> None:
        """Open what is chosen (service, streams, filter) as a new window, in a worker: finding the
        log files and opening them is I/O too. The old window stays on screen until the new one
        has its first lines (a few milliseconds)."""
        self._opening += 1
        token = self._opening
        self.current = None
        self.follow = True
        self.message = ""
        self._cancel_jump()
        if not self._live:
            return  # `on_mount` opens it
        service, streams, known = self.service, self.stream_mode, list(self.known)
        match = ls.text_needle(self.filter_text) if self.filter_text else None
        paths = self.ctx.paths

        def work() -> None:
            names = [service] if service else logs.services_with_logs(paths.logs, known)
            chosen = ["stdout", "stderr"] if streams == "both" else [streams]
            sources = [(n, s) for n in names for s in chosen]
            chains: list[Chain] = []
            try:
                for n, s in sources:
                    chains.append(Chain(paths.log(n, s)))
                window = Window(chains, cap=CAP, match=match)
                got = window.read_older(PAGE_READ)
            except OSError as exc:
                for chain in chains:
                    chain.close()
                self._call(self._open_failed, token, f"cannot read the logs: {exc}")
                return
            self._call(self._opened, token, sources, window, got)

        self.run_worker(work, thread=True, group="logs-open", name="logs open")
        self.refresh_view()

    def _opened(self, token: int, sources: list[tuple[str, str]], window: Window, got: Loaded) -> None:
        if token != self._opening or not self._live:  # chosen again since, or gone
            for chain in window.chains:
                chain.close()
            return
        # A worker may still be reading the old chains: close them a little later.
        self._retired.append(self.window.chains)
        while len(self._retired) > 2:
            for chain in self._retired.pop(0):
                chain.close()
        self.sources = sources
        self.window = window
        self._loading = set()  # reads of the old window still under way no longer count
        window.apply(got)
        self.top = 0
        self.clamp()
        self.refresh_view()
        self._maybe_load()

    def _open_failed(self, token: int, message: str) -> None:
        if token == self._opening:
            self.message = message
            self.refresh_view()

    def _prefixes(self) -> list[Text]:
        """Per chain: `name | ` when several services show, `err ` marks stderr in "both"."""
        many = self.service is None
        width = max((len(n) for n, _ in self.sources), default=0)
        colours: dict[str, str] = {}
        out = []
        for name, stream in self.sources:
            colour = colours.setdefault(name, COLOURS[len(colours) % len(COLOURS)])
            text = Text()
            if many:
                text.append(f"{name:<{width}} | ", style="" if self.ctx.no_color else colour)
            if self.stream_mode == "both":
                text.append("err " if stream == "stderr" else "    ",
                            style="" if self.ctx.no_color else "red")
            out.append(text)
        return out

    def paint(self, height: int, width: int) -> Text:
        if max(1, height) != self._height:
            # The body's height is known only here, after layout; the status line (which says
            # which lines show) was written with the old one, so it is written again.
            self._height = max(1, height)
            self.call_after_refresh(self._update_status)
        lines = self.window.lines
        self._sync_top()
        shown = lines[self.top:self.top + height]
        if not shown:
            return Text(self._empty_text(), style="dim")
        prefixes = self._prefixes()
        hl = "reverse" if self.ctx.no_color else "black on yellow"
        out = Text(no_wrap=True, overflow="crop", end="")
        for k, line in enumerate(shown):
            if k:
                out.append("\n")
            if line.src < len(prefixes):
                out.append_text(prefixes[line.src])
            text = line.text
            if not self.stamps and line_time(text) is not None:
                text = text[TS_WIDTH:]
            body = Text(text)
            if self.search is not None:
                for a, b in self.search.spans(text):
                    body.stylize(hl, a, b)
            if self.current is not None and line.start == self.current.start and line.src == self.current.src:
                body.stylize("bold underline")
            out.append_text(body[self.x:] if self.x else body)
        return out

    def _empty_text(self) -> str:
        if self.filter_text:
            return f"no line matches the filter {self.filter_text!r} (yet)"
        if not self.sources:
            return "no service logs in .devctl/logs yet; start services with `devctl up`"
        if self.service:
            return f"no output from {self.service} yet"
        return "no output yet"

    def status_text(self) -> str:
        """One line: what shows, how, and the last message first (an 80-column line cuts the rest)."""
        parts = [self.service or "all services"]
        if self.message:
            parts.append(self.message)
        if "older" in self._loading and self.filter_text and self.window.chains:
            done = 1 - max(c.fraction(p) for c, p in zip(self.window.chains, self.window.front, strict=True))
            parts.append(f"filtering… {done:.0%} read")
        parts += [self.stream_mode, "following" if self.follow else "paused"]
        if self.filter_text:
            parts.append(f"filter: {self.filter_text}")
        if self.search_text:
            parts.append(f"search: {self.search_text}")
        if self.x:
            parts.append(f"→{self.x}")
        n = len(self.window.lines)
        if n:
            parts.append(f"{self.top + 1}-{min(n, self.top + self._height)}/{n}"
                         + ("" if self.window.at_start() else " ↑more"))
        return " · ".join(parts)

    def _sync_top(self) -> None:
        """While following, the screen shows the last lines held."""
        if self.follow and self.window.at_end:
            self.top = max(0, len(self.window.lines) - self._height)

    def refresh_view(self) -> None:
        if not self._live:
            return
        self._sync_top()  # before the status line, which says which lines show
        self._update_status()
        self.query_one(LogBody).refresh()

    def _update_status(self) -> None:
        self._sync_top()
        self.query_one("#logs-status", Static).update(Text(self.status_text(), no_wrap=True,
                                                            overflow="ellipsis"))

    # -- reading (workers) -----------------------------------------------------------------

    def _load(self, kind: str, n: int) -> None:
        """Start one read of lines above or below the window, unless one is under way."""
        if kind in self._loading or not self._live:
            return
        loading = self._loading  # this window's: a new window starts with an empty set
        loading.add(kind)
        window = self.window
        read = window.read_older if kind == "older" else window.read_newer

        def work() -> None:
            try:
                got = read(n)
            except (OSError, ValueError):  # the chains were closed under it: a newer window exists
                got = None
            self._call(self._loaded, window, loading, kind, got)

        self.run_worker(work, thread=True, group=f"logs-{kind}", name=f"logs {kind}")

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the app is closing
            self.app.call_from_thread(fn, *args)

    def _loaded(self, window: Window, loading: set[str], kind: str, got: Loaded | None) -> None:
        loading.discard(kind)
        if got is None or window is not self.window:
            return
        dropped = window.dropped_front
        if window.apply(got):
            if kind == "older":
                self.top += len(got.lines)  # keep the same lines on screen
            else:
                self.top = max(0, self.top - (window.dropped_front - dropped))
            self.clamp()
        # Also when nothing came: a filter scans a big file a budget at a time, and shows how far.
        self.refresh_view()
        self._maybe_load()

    def _follow_loop(self) -> None:
        """Worker thread: while following, read what was appended, one batch per tick."""
        worker = get_current_worker()
        quiet = 0
        while not self._stop.wait(FOLLOW_IDLE_S if quiet >= 10 else FOLLOW_S) and not worker.is_cancelled:
            window = self.window
            # Hidden (another view is shown) or paused: read nothing; it catches up when shown.
            if not (self.follow and window.at_end and self.display) or "newer" in self._loading:
                quiet = 10
                continue
            try:
                if not window.moved():
                    quiet += 1
                    continue
                quiet = 0
                got = window.read_newer(FOLLOW_BATCH)
            except (OSError, ValueError):
                continue
            if got.lines or got.back != got.origin:
                self._call(self._followed, window, got)

    def _followed(self, window: Window, got: Loaded) -> None:
        if window is not self.window:
            return
        dropped = window.dropped_front
        if window.apply(got):
            self.top = max(0, self.top - (window.dropped_front - dropped))
            self.refresh_view()

    def _maybe_load(self) -> None:
        """Keep a page of lines beyond the screen in both directions (read ahead)."""
        if self.top < self._height and not self.window.at_start():
            self._load("older", PAGE_READ)
        if not self.window.at_end and self.top + 2 * self._height >= len(self.window.lines):
            self._load("newer", PAGE_READ)

    # -- moving ----------------------------------------------------------------------------

    def clamp(self) -> None:
        last = max(0, len(self.window.lines) - self._height)
        self.top = min(max(0, self.top), last)

    def scroll_lines(self, delta: int) -> None:
        if delta < 0 and self.follow:
            self.follow = False  # looking back pauses following
        self.top += delta
        self.clamp()
        self._maybe_load()
        self.refresh_view()

    def action_scroll(self, delta: int) -> None:
        self.scroll_lines(delta)

    def action_pan(self, direction: int) -> None:
        """Scroll long lines sideways, a quarter of the screen at a time."""
        self.x = max(0, self.x + direction * max(8, self.size.width // 4))
        self.refresh_view()

    def action_page(self, direction: int) -> None:
        self.scroll_lines(direction * max(1, self._height - 1))

    def action_bottom(self) -> None:
        self.follow = True
        if self.window.at_end:
            self.top = max(0, len(self.window.lines) - self._height)
            self.refresh_view()
        else:
            self._rebuild()

    def action_top(self) -> None:
        self.follow = False
        if self.window.at_start():
            self.top = 0
            self.refresh_view()
            return
        starts = [Pos(0, 0)] * len(self.window.chains)
        self._jump(lambda stop: ls.first_line(self.window.chains, starts), "start", highlight=False)

    def action_toggle_follow(self) -> None:
        if self.follow:
            self.follow = False
            self.refresh_view()
        else:
            self.action_bottom()

    def action_cycle_stream(self) -> None:
        self.stream_mode = STREAM_MODES[(STREAM_MODES.index(self.stream_mode) + 1) % len(STREAM_MODES)]
        self._rebuild()

    def action_toggle_stamps(self) -> None:
        """Hide or show the time stamps of stamped lines (`logs: {timestamps: true}`)."""
        self.stamps = not self.stamps
        self.refresh_view()

    def action_all_services(self) -> None:
        self.show_service(None)

    def action_next_service(self, step: int) -> None:
        """`]` the next service, `[` the previous one; "all" is between the last and the first."""
        names: list[str | None] = [None, *logs.services_with_logs(self.ctx.paths.logs, self.known)]
        at = names.index(self.service) if self.service in names else 0
        self.show_service(names[(at + step) % len(names)])

    # -- search, filter, first error -------------------------------------------------------

    def _open_input(self, mode: str, value: str) -> None:
        self._input_mode = mode
        box = self.query_one("#logs-input", Input)
        box.placeholder = "search (Enter: find, Esc: cancel)" if mode == "search" else \
            "filter: show only lines with this text (empty: all lines)"
        box.value = value
        box.add_class("open")
        box.focus()

    def _close_input(self) -> None:
        box = self.query_one("#logs-input", Input)
        box.remove_class("open")
        self._input_mode = ""
        self.query_one(LogBody).focus()

    def action_search(self) -> None:
        self._open_input("search", self.search_text)

    def action_filter(self) -> None:
        self._open_input("filter", self.filter_text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        mode, text = self._input_mode, event.value
        self._close_input()
        if mode == "filter":
            self.set_filter(text)
        elif mode == "search":
            self.set_search(text)

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape" and self._input_mode:
            event.stop()
            self._close_input()

    def set_filter(self, text: str) -> None:
        """Show only lines containing `text` (empty: every line); read again from the end."""
        self.filter_text = text
        self._rebuild()

    def set_search(self, text: str) -> None:
        """Highlight `text` and jump to its first match from the top of the screen down; while
        following (the screen is the end) to its last match, upwards."""
        self.search_text = text
        self.search = ls.text_needle(text) if text else None
        self.current = None
        if self.search is not None:
            self._find(forward=not (self.follow and self.window.at_end), from_screen=True)
        self.refresh_view()

    def action_next_match(self) -> None:
        if self.search is not None:
            self._find(forward=True)

    def action_prev_match(self) -> None:
        if self.search is not None:
            self._find(forward=False)

    def action_first_error(self) -> None:
        """The first error line of each stream's current file; `n`/`N` then go through errors."""
        self.search, self.search_text = ls.ERRORS, "errors"
        chains = self.window.chains
        starts = [Pos(max(0, len(c.segments) - 1), 0) for c in chains]
        match = ls.ERRORS
        self._jump(lambda stop: ls.first_match(chains, match, starts, stop), "first error")

    def action_clear(self) -> None:
        if self.search is not None:
            self.search, self.search_text, self.current = None, "", None
            self.message = ""
            self.refresh_view()
        elif self.filter_text:
            self.set_filter("")

    def _positions(self, index: int, forward: bool) -> list[Pos]:
        """Per chain, where a search from line `index` of the window goes on: from the first of its
        lines at/after `index` (forward) or before it (backward), else the window's edge."""
        lines = self.window.lines
        out: list[Pos | None] = [None] * len(self.window.chains)
        if forward:
            for line in lines[index:]:
                if out[line.src] is None:
                    out[line.src] = line.start
            return [p if p is not None else self.window.back[i] for i, p in enumerate(out)]
        for line in reversed(lines[:index]):
            if out[line.src] is None:
                out[line.src] = line.end
        return [p if p is not None else self.window.front[i] for i, p in enumerate(out)]

    def _find(self, forward: bool, from_screen: bool = False) -> None:
        pattern = self.search
        if pattern is None:
            return
        lines = self.window.lines
        cur = self._index_of(self.current) if self.current is not None and not from_screen else None
        if cur is None:
            base = self.top if forward else self.top + self._height
        else:
            base = cur + 1 if forward else cur
        base = min(max(0, base), len(lines))
        # Within the lines held first (no I/O), then in the files.
        rng = range(base, len(lines)) if forward else range(base - 1, -1, -1)
        for i in rng:
            if pattern.matches(lines[i].text):
                self._focus(i)
                return
        chains = self.window.chains
        where = self._positions(base, forward)
        other = self._positions(base, not forward)
        label = pattern.label
        note: list[str] = []

        def find(stop: Callable[[], bool]) -> Line | None:
            if forward:
                hit = ls.first_match(chains, pattern, where, stop)
            else:
                hit = ls.last_match(chains, pattern, where, stop)
            if hit is None and from_screen:  # a new search looks the other way too
                if forward:
                    hit = ls.last_match(chains, pattern, other, stop)
                else:
                    hit = ls.first_match(chains, pattern, other, stop)
                note.append(f"no {label!r} {'below' if forward else 'above'}; "
                            f"the nearest {'above' if forward else 'below'}")
            return hit

        side = "anywhere" if from_screen else ("below" if forward else "above")
        self._jump(find, "search", missing=f"no {label!r} {side}", note=note)

    def _index_of(self, line: Line | None) -> int | None:
        if line is None:
            return None
        for i, x in enumerate(self.window.lines):
            if x.src == line.src and x.start == line.start:
                return i
        return None

    def _focus(self, index: int) -> None:
        self.current = self.window.lines[index]
        self.follow = False
        if not (self.top <= index < self.top + self._height):
            self.top = index - self._height // 2
        self.clamp()
        self.message = ""
        self.refresh_view()
        self._maybe_load()

    def _jump(self, find: Callable[[Callable[[], bool]], Line | None], what: str,
              highlight: bool = True, missing: str = "", note: list[str] | None = None) -> None:
        """Find a line in the files (worker) and show a new window around it."""
        window = self.window
        self.message = f"{what}: scanning…"
        self.refresh_view()
        cancelled = threading.Event()

        def work() -> None:
            try:
                hit = find(cancelled.is_set)
                got = window.read_around(hit, PAGE_READ) if hit is not None else None
            except (OSError, ValueError):
                return
            if not cancelled.is_set():
                self._call(self._jumped, window, missing or f"{what}: none", hit, got, highlight,
                           note[0] if note else "")

        self._cancel_jump()
        self._jump_cancel = cancelled
        self.run_worker(work, thread=True, group="logs-jump", name=f"logs {what}")

    def _cancel_jump(self) -> None:
        if self._jump_cancel is not None:
            self._jump_cancel.set()

    def _jumped(self, window: Window, what: str, hit: Line | None, got: Loaded | None,
                highlight: bool, note: str = "") -> None:
        if window is not self.window:
            return
        if hit is None or got is None:
            self.message = what
            self.app.bell()
            self.refresh_view()
            return
        index = self._index_of(hit)
        if index is None and window.apply(got):
            index = self._index_of(hit)
        if index is None:
            return
        self.follow = False
        if highlight:
            self._focus(index)
            if note:
                self.message = note
                self.refresh_view()
        else:
            self.current = None
            self.top = index
            self.clamp()
            self.message = ""
            self.refresh_view()
            self._maybe_load()
