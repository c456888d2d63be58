"""Reading service logs: tail the last N lines, follow across restarts and rotation, merge with prefixes.

Logs are plain files written by the services themselves (or by their log writer, see
`logwriter`), so everything here works without a supervisor. Following polls (every 100 ms):
when the path's inode changes, a restart or a size rotation moved the file to `.1`; the old
descriptor is drained to its end and the new file is read from its start, so no line is lost.

Every reader here is linear in the bytes it reads, whatever the lines look like, and shows at
most `MAX_LINE` bytes of a line: a service that writes 100 MB without a newline gets one line,
cut, with `procs.tails.CUT_MARK` after it (the cutting itself is `procs.tails.LineCutter`'s).
Tailing reads backwards and keeps only line positions, never the bytes of a whole line.
Stdlib only (plus `procs.tails`, which is stdlib too).
"""

from __future__ import annotations

import heapq
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

from devctl.procs.tails import CUT_MARK, LineCutter
from devctl.supervisor.logfiles import TS_WIDTH, generation, line_time

#: Prefix colours, cycled per service (ANSI: cyan, magenta, yellow, green, blue, red; bright).
_COLOURS = ("36", "35", "33", "32", "34", "31", "96", "95", "93", "92", "94", "91")
POLL_S = 0.1
#: The most of one line any reader shows; the rest of it is replaced by CUT_MARK.
MAX_LINE = 64 * 1024
#: Bytes per read when scanning a file.
_BLOCK = 1 << 20
#: How many older generations (`.1`, `.2`, …) `tail_generations` looks into at most.
MAX_GENERATIONS = 100


def services_with_logs(logs_dir: Path, known: Iterable[str] = ()) -> list[str]:
    """The services whose logs "all" shows (`devctl logs`, the TUI's logs view): `known` (the
    supervisor's, in its order), then any others that have log files (a service removed from the
    plan still has its logs), by name."""
    names = list(dict.fromkeys(known))
    if logs_dir.is_dir():
        for p in sorted(logs_dir.glob("*.std*.log")):
            name = p.name.rsplit(".", 2)[0]
            if name not in names:
                names.append(name)
    return names


def tail_lines(path: Path, n: int, *, max_line: int = MAX_LINE, block: int = _BLOCK) -> list[str]:
    """The last `n` lines of `path` (without newlines, each cut at `max_line` bytes); [] if missing.

    Linear: the file is scanned backwards once for newline positions only; then at most
    `max_line` bytes of each of the `n` lines are read.
    """
    if n <= 0:
        return []
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the `with` below
    except FileNotFoundError:
        return []
    with fh:
        return [_decode(raw) for raw in _tail_raw(fh, n, max_line, block)]


def _tail_raw(fh: BinaryIO, n: int, max_line: int, block: int) -> list[bytes]:
    size = fh.seek(0, os.SEEK_END)
    if size == 0:
        return []
    end = size
    fh.seek(size - 1)
    if fh.read(1) == b"\n":
        end = size - 1  # the last line's newline ends it; it does not start an empty line
    newlines: list[int] = []  # positions of b"\n" before `end`, last first
    pos = end
    while pos > 0 and len(newlines) < n:
        step = min(block, pos)
        pos -= step
        fh.seek(pos)
        buf = fh.read(step)
        i = len(buf)
        while len(newlines) < n:
            j = buf.rfind(b"\n", 0, i)
            if j < 0:
                break
            newlines.append(pos + j)
            i = j
    bounds = []  # (start, stop) of each line, last first
    stop = end
    for nl in newlines:
        bounds.append((nl + 1, stop))
        stop = nl
    if len(newlines) < n:
        bounds.append((0, stop))  # reached the start of the file
    out = []
    for start, stop in reversed(bounds):
        fh.seek(start)
        raw = fh.read(min(stop - start, max_line))
        out.append(raw + CUT_MARK.encode() if stop - start > max_line else raw)
    return out


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def tail_generations(path: Path, n: int, *, max_line: int = MAX_LINE) -> list[str]:
    """The last `n` lines a service wrote to this stream: from `path`, then, while fewer than
    `n` were found, from its older generations (`.1`, `.2`, …: earlier runs and size rotations).

    Each file's lines are its own: a line that a size rotation split (one longer than
    `max_size`) shows as two, the second without a timestamp."""
    if n <= 0:
        return []
    found: list[str] = []
    for g in range(MAX_GENERATIONS + 1):
        gen = generation(path, g)
        try:
            fh = open(gen, "rb")  # noqa: SIM115 - closed by the `with` below
        except FileNotFoundError:
            if g == 0:
                continue  # a service that has not started yet may still have old generations
            break
        with fh:
            lines = [_decode(raw) for raw in _tail_raw(fh, n - len(found), max_line, _BLOCK)]
        found = lines + found
        if len(found) >= n:
            break
    return found[-n:]


def all_lines(path: Path, *, max_line: int = MAX_LINE) -> Iterator[str]:
    """Every line of `path`, streamed, each cut at `max_line` bytes (`logs --tail 0`); none if missing."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the `with` below
    except FileNotFoundError:
        return
    cutter = LineCutter(max_line)
    with fh:
        while chunk := fh.read(_BLOCK):
            yield from map(_decode, cutter.split(chunk))
        last = cutter.flush()
        if last is not None:
            yield _decode(last)


def all_stamped(texts: list[list[str]]) -> bool:
    """True when every line of every non-empty list starts with a timestamp (and some has lines)."""
    shown = [lines for lines in texts if lines]
    return bool(shown) and all(line_time(line) is not None for lines in shown for line in lines)


def merge_by_time(sources: list[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    """(key, line) pairs from every source, in time order (each source is already in order;
    equal stamps keep the sources' order). Only for sources where `all_stamped` holds."""
    streams = [[(line[:TS_WIDTH], i, key, line) for line in lines] for i, (key, lines) in enumerate(sources)]
    return [(key, line) for _ts, _i, key, line in heapq.merge(*streams)]


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
    max_line: int = MAX_LINE
    fh: BinaryIO | None = None
    inode: int | None = None
    #: Splits the bytes into lines, cutting an over-long one (memory and time stay linear).
    splitter: LineCutter = field(init=False)
    got: list[bytes] = field(default_factory=list)
    #: Opened at the end of a file in the middle of a line: that line's rest is not shown, so
    #: every emitted line is whole (a service writing fast is usually mid-line).
    skip_partial: bool = False
    #: Whether the last poll read any bytes (a long line being cut emits nothing for a while).
    active: bool = False

    def __post_init__(self) -> None:
        self.splitter = LineCutter(self.max_line)

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

    def poll(self) -> list[str]:
        """This source alone: its new complete lines, following rotation and truncation
        (`follow` takes the same steps for several sources at once, in its own order)."""
        if not self.drain():
            if self.rotated():
                self.drain_all()
                self.reopen()
            else:
                self.check_truncated()
        return self.take()

    def drain(self) -> bool:
        """Read what the open file got since the last look (up to `_read`'s budget); True when
        more is waiting (the caller catches up before it looks for a rotation)."""
        self.active = False
        if self.fh is None:
            self.open(at_end=False)
            if self.fh is None:
                return False
        return self._read(self.fh)

    def rotated(self) -> bool:
        """Whether the path names another file now: a restart or a size rotation moved ours to
        `.1` (a path that is gone for a moment is not a rotation yet)."""
        if self.fh is None:
            return False
        try:
            return os.stat(self.path).st_ino != self.inode
        except FileNotFoundError:
            return False

    def drain_all(self) -> None:
        """Read everything the open file holds (a file of a run that ended is complete)."""
        if self.fh is not None:
            self._read(self.fh, budget=sys.maxsize)

    def reopen(self) -> None:
        """After a rotation: the old file's unterminated last line is a line of its own; then
        the file the path names now, from its start."""
        last = self.splitter.flush()
        if last is not None:
            self.got.append(last)
        if self.fh is not None:
            self.fh.close()
            self.fh = None
        self.open(at_end=False)
        if self.fh is not None:
            self._read(self.fh)

    def check_truncated(self) -> None:
        """A file truncated in place (`> file`) is read again from its start."""
        if self.fh is not None and os.fstat(self.fh.fileno()).st_size < self.fh.tell():
            self.fh.seek(0)

    def take(self) -> list[str]:
        lines, self.got = self.got, []
        return [raw.decode("utf-8", "replace") for raw in lines]

    def _read(self, fh: BinaryIO, budget: int = 16 * _BLOCK) -> bool:
        """Feed up to `budget` new bytes to the splitter; True when it ran out (more to read)."""
        while True:
            if budget <= 0:
                return True
            data = fh.read(min(_BLOCK, budget))
            if not data:
                return False
            self.active = True
            budget -= len(data)
            if self.skip_partial:
                nl = data.find(b"\n")
                if nl < 0:
                    continue
                data, self.skip_partial = data[nl + 1:], False
            self.got += self.splitter.split(data)

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


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

    def flush(chosen: list[_Source]) -> None:
        for src in chosen:
            for line in src.take():
                emit(src.key, line)

    try:
        while True:
            behind = [src.drain() for src in srcs]
            got = any(src.active for src in srcs)
            flush(srcs)
            if not any(behind):
                moved = [src for src in srcs if src.rotated()]
                if moved:
                    # A service's files rotate when it restarts, after its process exited: the
                    # old run's files are complete, and all of them (its last stderr line too)
                    # go out before the first line of the new run, whichever stream has it.
                    for src in srcs:
                        src.drain_all()
                    flush(srcs)
                    for src in moved:
                        src.reopen()
                    flush(moved)
                    got = True
                for src in srcs:
                    if src not in moved:
                        src.check_truncated()
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
