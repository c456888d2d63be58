"""Reading service logs: tail the last N lines, follow across restarts and rotation, merge with prefixes.

Logs are plain files written by the services themselves, so everything here works without a
supervisor. Following polls (every 100 ms): when the path's inode changes, a restart rotated
the file to `.1`; the old descriptor is drained to its end and the new file is read from its
start, so no line is lost across a restart. Stdlib only.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

#: Prefix colours, cycled per service (ANSI: cyan, magenta, yellow, green, blue, red; bright).
_COLOURS = ("36", "35", "33", "32", "34", "31", "96", "95", "93", "92", "94", "91")
POLL_S = 0.1


def tail_lines(path: Path, n: int, block: int = 65536) -> list[str]:
    """The last `n` lines of `path` (without newlines), reading backwards; [] if missing."""
    if n <= 0:
        return []
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the `with` below
    except FileNotFoundError:
        return []
    with fh:
        end = fh.seek(0, os.SEEK_END)
        data = b""
        pos = end
        while pos > 0 and data.count(b"\n") <= n:
            step = min(block, pos)
            pos -= step
            fh.seek(pos)
            data = fh.read(step) + data
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [ln.decode("utf-8", "replace") for ln in lines[-n:]]


def use_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (https://no-color.org) or TERM=dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def make_prefixes(names: list[str], colour: bool) -> dict[str, str]:
    """`name | ` for each service, padded to the longest name, coloured when asked."""
    width = max((len(n) for n in names), default=0)
    out = {}
    for i, name in enumerate(names):
        text = f"{name:<{width}} | "
        out[name] = f"\x1b[{_COLOURS[i % len(_COLOURS)]}m{text}\x1b[0m" if colour else text
    return out


@dataclass
class _Source:
    key: str  # service name (prefix key)
    path: Path
    fh: object = None
    inode: int | None = None
    partial: bytes = b""
    pending: list[bytes] = field(default_factory=list)
    #: Opened at the end of a file in the middle of a line: that line's rest is not shown, so
    #: every emitted line is whole (a service writing fast is usually mid-line).
    skip_partial: bool = False

    def open(self, at_end: bool) -> None:
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - kept open across polls
        except FileNotFoundError:
            return
        self.fh = fh
        self.inode = os.fstat(fh.fileno()).st_ino
        if at_end:
            end = fh.seek(0, os.SEEK_END)
            if end > 0:
                fh.seek(end - 1)
                self.skip_partial = fh.read(1) != b"\n"

    def poll(self) -> list[bytes]:
        """New complete lines since the last poll, following rotation and truncation."""
        lines: list[bytes] = []
        if self.fh is None:
            self.open(at_end=False)
            if self.fh is None:
                return lines
        lines += self._read()
        try:
            current = os.stat(self.path).st_ino
        except FileNotFoundError:
            current = None
        if current is not None and current != self.inode:
            lines += self._read()  # drain what the old file got before the rotation
            if self.partial:
                lines.append(self.partial)
                self.partial = b""
            self.fh.close()  # type: ignore[attr-defined]
            self.fh = None
            self.open(at_end=False)
            if self.fh is not None:
                lines += self._read()
        elif self.fh is not None and os.fstat(self.fh.fileno()).st_size < self.fh.tell():  # type: ignore[attr-defined]
            self.fh.seek(0)  # type: ignore[attr-defined]
        return lines

    def _read(self) -> list[bytes]:
        data = self.fh.read()  # type: ignore[attr-defined]
        if not data:
            return []
        if self.skip_partial:
            nl = data.find(b"\n")
            if nl < 0:
                return []
            data, self.skip_partial = data[nl + 1:], False
        data = self.partial + data
        parts = data.split(b"\n")
        self.partial = parts.pop()
        return parts

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()  # type: ignore[attr-defined]


def follow(
    sources: list[tuple[str, Path]],
    emit: Callable[[str, str], None],
    *,
    from_start: bool = False,
    since: float | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    poll_s: float = POLL_S,
) -> None:
    """Call `emit(key, line)` for every new line in any source until `should_stop()` is true.

    Sources that do not exist yet are picked up when they appear. Ctrl-C propagates.
    With `from_start`, a file last written before `since` belongs to an earlier run (a service
    that has not started yet still has its previous generation in place): it is followed from
    its end, so only this run's output is shown.
    """
    srcs = [_Source(key, path) for key, path in sources]
    for src in srcs:
        src.open(at_end=not from_start or _older_than(src.path, since))
    try:
        while True:
            got = False
            for src in srcs:
                for line in src.poll():
                    got = True
                    emit(src.key, line.decode("utf-8", "replace"))
            if not got:
                if should_stop():
                    return
                time.sleep(poll_s)
    finally:
        for src in srcs:
            src.close()


def _older_than(path: Path, since: float | None) -> bool:
    if since is None:
        return False
    try:
        return os.stat(path).st_mtime < since
    except FileNotFoundError:
        return False


def write_line(prefix: str, line: str, out: TextIO = sys.stdout) -> None:
    out.write(prefix + line + "\n")
    out.flush()
