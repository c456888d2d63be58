"""The spinner a command shows on stderr while it waits, drawn without rich.

rich's `Console.status` drew it before, and importing rich's console and live display for it
cost ~100 ms of CPU on the 2-core box: on a terminal, `devctl down` of 50 services took 372 ms
against 291 ms piped (docs/performance.md, "S2"), and that CPU was spent while the services
were exiting on the same two cores. What it draws is what rich drew: rich's "dots" frames in
green, a space, the text; redrawn in place on one line 12.5 times a second (rich's default
refresh), the cursor hidden meanwhile, and the line erased at the end, so the command's next
message starts on a clean line. On a stream that is not a terminal (rich's rules:
`cli/plain.is_terminal`) nothing at all is written, as with rich.
"""

from __future__ import annotations

import sys
import threading

from devctl.cli import plain

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `down` imports this and skips `typing`
if TYPE_CHECKING:
    from typing import TextIO

#: rich's "dots" spinner.
FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
#: Seconds between two frames (rich's `Live` refreshes 12.5 times a second by default).
INTERVAL_S = 0.08
HIDE_CURSOR, SHOW_CURSOR, ERASE_LINE = "\x1b[?25l", "\x1b[?25h", "\r\x1b[2K"


class Spinner:
    """`with Spinner("stopping…") as shown: ...; shown.update("next step")`."""

    def __init__(self, text: str, stream: TextIO | None = None):
        self.text = text
        self.stream = stream if stream is not None else sys.stderr
        self.live = plain.is_terminal(self.stream)
        self._colour = plain.sgr("green") if plain.styled(self.stream) else ""
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one writer at a time: the drawing thread or `__exit__`
        self._thread: threading.Thread | None = None
        self._frame = 0

    def update(self, text: str) -> None:
        """Show `text` from the next frame on (as rich's `Status.update`)."""
        self.text = text

    def line(self) -> str:
        """The current frame as drawn: spinner, space, text cut to the terminal's width."""
        frame = FRAMES[self._frame % len(FRAMES)]
        mark = f"\x1b[{self._colour}m{frame}\x1b[0m" if self._colour else frame
        room = max(plain.width() - 3, 1)
        text = plain.clean(self.text).replace("\n", " ")
        while plain.cell_len(text) > room:
            text = text[:-1]
        return f"{mark} {text}"

    def _draw(self) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            self._write("\r" + self.line() + "\x1b[K")
            self._frame += 1

    def _write(self, data: str) -> None:
        try:
            self.stream.write(data)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: nothing more to show
            self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL_S):
            self._draw()

    def __enter__(self) -> Spinner:
        if self.live:
            self._write(HIDE_CURSOR)
            self._draw()
            self._thread = threading.Thread(target=self._run, name="devctl-spinner", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.live:
            return
        with self._lock:
            self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        self._write(ERASE_LINE + SHOW_CURSOR)
