"""The logs view's reading side: windows of lines by byte position, chunked scans, following.

Why positions and not line numbers: a service's log can be 1 GB; counting its lines means reading
all of it. The view therefore never asks "line 12 345" but "the 60 lines before this byte", read by
`os.pread` from that byte backwards, so opening any file costs a few reads at its end and
scrolling costs what is on screen. A position is (segment, offset): a stream's *chain* is its
generations, oldest first (`<svc>.<stream>.log.2`, `.log.1`, `.log`; naming and order are
`supervisor.logfiles`'), each held open by descriptor so a rotation while the view is open moves
nothing under it: the old file keeps its descriptor and the new one is appended to the chain.

Search, filter and "first error" scan in 256 KiB blocks with `Needle` (a lowered block and
`bytes.find`: C speed; Python sees only the matching lines), each call limited by a byte budget
so the caller (a worker thread) can report progress and stop between calls. Every read here is
`pread`, which keeps no file offset: a follower thread and a scan worker can read the same chain
at once.

A line is at most `MAX_LINE` bytes shown (`supervisor.logs`' cap, cut with `procs.tails.CUT_MARK`);
the rest of it is skipped, never held. Ordering of lines from several streams follows `devctl logs`:
by time when every line is stamped, else stream by stream (`merge`). Stdlib only.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from devctl.procs.tails import CUT_MARK
from devctl.supervisor import logs
from devctl.supervisor.logfiles import generation, line_time
from devctl.supervisor.logs import MAX_GENERATIONS, MAX_LINE

#: Bytes per read when scanning: 256 KiB costs a third of the CPU of 1 MiB per byte scanned (fresh
#: 1 MiB buffers are page-faulted in on every read; measured in bench/bench_tui_logs.py).
BLOCK = 256 * 1024
#: Bytes one `before`/`after` call examines at most (a filter that matches nothing in 1 GB returns
#: every 32 MiB with where it got to, so its worker can show progress and be stopped).
SCAN_BUDGET = 32 * 1024 * 1024
#: Bytes a plain backward read (no search) takes at a time: a screen is a few KiB.
SMALL_BLOCK = 64 * 1024
_CUT = CUT_MARK.encode()


@dataclass(frozen=True, order=True)
class Pos:
    """A byte in a chain: `offset` into segment `seg` (0 = the oldest generation open)."""

    seg: int
    offset: int


@dataclass(frozen=True)
class Line:
    """One line as shown: where it starts and where the next one starts, its text (cut, decoded)."""

    src: int  # which source (stream) of the view it comes from
    start: Pos
    end: Pos  # just after its newline
    text: str


@dataclass(frozen=True)
class Needle:
    """What a search, a filter or "first error" looks for in the bytes of a log.

    Why not a bare regex: Python's `re` with IGNORECASE is ~15x slower than a case-sensitive search
    of a literal (6 against 0.4 ms/MB here), which is the difference between scanning 1 GB in a few
    seconds or a minute. So a case-insensitive needle lowers each block once (`bytes.lower`,
    ASCII, C speed) and looks for its words with `bytes.find`; the regex, run on the lowered
    bytes, only confirms a candidate line (word boundaries for "first error").
    """

    regex: re.Pattern[bytes]  # applied to the lowered bytes when `fold`
    words: tuple[bytes, ...]  # every match contains one of these (lowered when `fold`)
    fold: bool
    label: str

    def hay(self, raw: bytes) -> bytes:
        return raw.lower() if self.fold else raw

    def matches(self, text: str) -> bool:
        return self.regex.search(self.hay(text.encode("utf-8"))) is not None

    def line_spans(self, body: bytes) -> Iterable[tuple[int, int]]:
        """(start, stop-before-newline) of each line of `body` holding a match, in order, each once."""
        hay = self.hay(body)
        nxt = {w: hay.find(w) for w in self.words}
        while True:
            found = [j for j in nxt.values() if j >= 0]
            if not found:
                return
            i = min(found)
            a = hay.rfind(b"\n", 0, i) + 1
            b = hay.find(b"\n", i)
            if b < 0:
                b = len(hay)
            if self.regex.search(hay, a, b):
                yield a, b
            for w, j in nxt.items():
                if 0 <= j <= b:
                    nxt[w] = hay.find(w, b + 1)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the matches in a shown line, for highlighting."""
        raw = text.encode("utf-8")
        out = []
        for m in self.regex.finditer(self.hay(raw)):
            if m.end() > m.start():
                out.append((len(raw[: m.start()].decode("utf-8", "replace")),
                            len(raw[: m.end()].decode("utf-8", "replace"))))
        return out


def text_needle(text: str) -> Needle:
    """A plain-text search or filter: case-insensitive unless it has an upper-case letter (like
    vim's smartcase or `less -i`: `error` finds `ERROR`, `Error` finds only `Error`). Folding is
    ASCII only (so is `bytes.lower`)."""
    fold = not any(c.isupper() for c in text)
    word = (text.lower() if fold else text).encode("utf-8")
    return Needle(re.compile(re.escape(word)), (word,), fold, text)


#: What "first error" looks for (any case, whole words): what services and runtimes print when
#: something went wrong (`ERROR`, `Traceback`, `panic:`, `FATAL`, `Exception`, `connection
#: failed`, `crashing`). Not `errors` (`0 errors`). The words are the prefilter of `Needle`.
ERRORS = Needle(
    re.compile(rb"\b(error(ed)?|fatal|panic(ked)?|exception|traceback|critical|failed|crash(ed|ing)?)\b"),
    (b"error", b"fatal", b"panic", b"exception", b"traceback", b"critical", b"failed", b"crash"),
    True, "errors")


def _decode(raw: bytes, max_line: int) -> str:
    if len(raw) > max_line:
        raw = raw[:max_line] + _CUT
    return raw.decode("utf-8", "replace")


@dataclass
class _Segment:
    fd: int
    inode: int


@dataclass
class Chain:
    """One stream's files (`path` and its older generations), open for windowed reads.

    `refresh()` picks up a file that appeared or replaced `path` (a restart or a size rotation
    moved the old one to `.1`: it stays in the chain by descriptor). Call `close()` when done.
    """

    path: Path
    max_line: int = MAX_LINE
    segments: list[_Segment] = field(default_factory=list)
    #: Held around each read, `refresh` and `close`: two workers may refresh at once (following,
    #: scrolling down; one appends), and a descriptor is closed only between reads.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        found: list[_Segment] = []
        for g in range(MAX_GENERATIONS + 1):
            seg = self._open(generation(self.path, g))
            if seg is None:
                if g == 0:
                    continue  # the service has not started yet; its old generations still count
                break
            found.append(seg)
        self.segments = found[::-1]  # oldest first
        # When `path` itself is missing, the newest segment is `.1`: a `refresh` must append `path`
        # when it appears, never take `.1` for it.
        self._current_open = bool(found) and self._inode_of(self.path) == found[0].inode

    @staticmethod
    def _open(path: Path) -> _Segment | None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            return None
        return _Segment(fd, os.fstat(fd).st_ino)

    @staticmethod
    def _inode_of(path: Path) -> int | None:
        try:
            return os.stat(path).st_ino
        except FileNotFoundError:
            return None

    def close(self) -> None:
        """Close every file. A reader still running in another thread then reads nothing (never
        another file that took the descriptor's number: `read_at` checks under the lock)."""
        with self._lock:
            for seg in self.segments:
                self._drop(seg)

    @staticmethod
    def _drop(seg: _Segment) -> None:
        if seg.fd >= 0:
            os.close(seg.fd)
            seg.fd = -1

    def size(self, seg: int) -> int:
        """Segment `seg`'s size now (0 once it was dropped: deleted on disk, or the chain closed)."""
        s = self.segments[seg]
        with self._lock:
            return os.fstat(s.fd).st_size if s.fd >= 0 else 0

    def total_size(self) -> int:
        return sum(self.size(i) for i in range(len(self.segments)))

    def start(self) -> Pos:
        return Pos(0, 0)

    def end(self) -> Pos:
        if not self.segments:
            return Pos(0, 0)
        last = len(self.segments) - 1
        return Pos(last, self.size(last))

    def fraction(self, pos: Pos) -> float:
        """How far into the chain's bytes `pos` is (0..1), for a progress or scroll indicator."""
        total = self.total_size()
        if total == 0:
            return 1.0
        before = sum(self.size(i) for i in range(min(pos.seg, len(self.segments))))
        return min(1.0, (before + pos.offset) / total)

    def refresh(self) -> bool:
        """Append `path` when it is a new file (appeared, or rotated in); True when it did."""
        with self._lock:
            return self._refresh()

    def _refresh(self) -> bool:
        inode = self._inode_of(self.path)
        if inode is None:
            return False
        if self._current_open and self.segments and self.segments[-1].inode == inode:
            return False
        seg = self._open(self.path)
        if seg is None:
            return False
        self.segments.append(seg)
        self._current_open = True
        # A rotation deletes the oldest generation; holding it open would keep its disk space for
        # as long as the view stays open (all day, on a service that rotates by size). Its lines
        # already shown stay shown; scrolling above them finds nothing more.
        for old in self.segments[:-1]:
            if old.fd >= 0 and os.fstat(old.fd).st_nlink == 0:
                self._drop(old)
        return True

    def moved(self, pos: Pos) -> bool:
        """Maybe something to read after `pos`: the newest file's size is not `pos` (it grew, or was
        truncated), or a new file took `path`. Two system calls: what an idle follower pays."""
        if self.segments:
            last = len(self.segments) - 1
            if pos.seg < last or self.size(last) != pos.offset:
                return True
        inode = self._inode_of(self.path)
        return inode is not None and not (self._current_open and self.segments
                                          and self.segments[-1].inode == inode)

    def seek_time(self, stamp: str, after_equal: bool = False) -> Pos:
        """The start of the first line stamped at or after `stamp` (after it, with `after_equal`),
        by binary search over byte positions: generations and the lines in each are in time
        order, so a 1 GB chain takes ~30 reads. Unstamped lines (the rest of a line split by a
        size rotation) are stepped over. The chain's end when every line is earlier."""

        def early(ts: str | None) -> bool:
            return ts is not None and (ts <= stamp if after_equal else ts < stamp)

        # The last segment whose first stamp is early: the answer is in it or at its end.
        first = 0
        for k in range(len(self.segments) - 1, -1, -1):
            if early(self._stamp_at(k, 0)[0]):
                first = k
                break
        else:
            return Pos(0, 0)
        lo, hi = 0, self.size(first)  # the line at `lo` is early; no early line starts at >= hi
        for _ in range(64):
            if hi - lo <= BLOCK:
                break
            mid = (lo + hi) // 2
            ts, at = self._stamp_at(first, mid, skip_partial=True)
            if at is None or at >= hi:
                hi = mid
            elif early(ts):
                lo = at
            else:
                hi = mid
        at_pos = Pos(first, lo)
        for _ in range(1 << 20):  # bounded: lines of at most one block between lo and hi, then on
            got, nxt = self.after(at_pos, 256, partial=True)
            for line in got:
                if not early(line_time(line.text)) and line_time(line.text) is not None:
                    return line.start
            if not got or nxt == at_pos:
                return nxt
            at_pos = nxt
        return at_pos

    def _stamp_at(self, seg: int, offset: int, skip_partial: bool = False) -> tuple[str | None, int | None]:
        """The stamp of the first stamped line starting at `offset` (after the next newline with
        `skip_partial`), and where that line starts; (None, None) when there is none."""
        size = self.size(seg)
        if skip_partial:
            nl = self._line_end(seg, offset, size)
            if nl is None:
                return None, None
            offset = nl + 1
        for _ in range(16):  # a few unstamped lines at most (a split line's rest)
            if offset >= size:
                return None, None
            head = self.read_at(seg, 28, offset)
            ts = line_time(head.decode("utf-8", "replace"))
            if ts is not None:
                return ts, offset
            nl = self._line_end(seg, offset, size)
            if nl is None:
                return None, None
            offset = nl + 1
        return None, None

    def read_at(self, seg: int, n: int, offset: int) -> bytes:
        """Up to `n` bytes of segment `seg` at `offset` (`pread`: no shared file offset)."""
        s = self.segments[seg]
        with self._lock:
            return os.pread(s.fd, n, offset) if s.fd >= 0 else b""

    # -- reading windows -------------------------------------------------------------------

    def before(self, pos: Pos, n: int, src: int = 0, match: Needle | None = None,
               budget: int | None = None) -> tuple[list[Line], Pos]:
        """Up to `n` lines (matching `match`, when given) that end at or before `pos`, in file order,
        and the position the backward scan reached (the start of the earliest line it looked at:
        `Pos(0, 0)` once it saw the whole chain). Stops after `budget` bytes."""
        out: list[Line] = []
        reached = pos
        if n <= 0 or not self.segments:
            return out, reached
        seg, end = pos.seg, pos.offset
        budget = SCAN_BUDGET if budget is None else budget
        spent = 0
        while len(out) < n and spent < budget:
            end = min(end, self.size(seg))  # a dropped segment has nothing left to read
            if end <= 0:
                if seg == 0:
                    break
                seg -= 1
                end = self.size(seg)
                reached = Pos(seg, end)
                continue
            got, line_start, used = self._lines_back(seg, end, n - len(out), src, match)
            spent += used
            out[:0] = got
            reached = Pos(seg, line_start)
            end = line_start
        return out, reached

    def _lines_back(self, seg: int, end: int, n: int, src: int, match: Needle | None
                    ) -> tuple[list[Line], int, int]:
        """Lines of segment `seg` before `end`, from one block (more when a line is longer):
        (lines in order, the start of the earliest complete line examined, bytes read)."""
        lo = max(0, end - (BLOCK if match is not None else SMALL_BLOCK))
        buf = self.read_at(seg, end - lo, lo)
        used = len(buf)
        # The first line start in the block (its last byte, the newline ending the line before
        # `end`, does not count: then the block holds only part of one long line).
        cut = buf.find(b"\n", 0, len(buf) - 1) if lo > 0 else -1
        while lo > 0 and cut < 0:
            # No line start in this block: a line longer than BLOCK; find its start further back
            # (linear; only its first `max_line` bytes are ever decoded).
            lo2 = max(0, lo - BLOCK)
            more = self.read_at(seg, lo - lo2, lo2)
            used += len(more)
            nl = more.rfind(b"\n")
            if nl >= 0 or lo2 == 0:
                first = lo2 + nl + 1  # nl == -1 with lo2 == 0: the file's first line
                head = self.read_at(seg, min(self.max_line + 1, end - first), first)
                line = self._make(src, seg, first, end, head, end, match)
                return ([line] if line else []), first, used
            lo = lo2
        body_start = lo + cut + 1  # first byte of the first whole line in buf
        body = buf[cut + 1:]
        lines: list[Line] = []
        if match is None:
            # Only the last `n` lines are split off (a block holds thousands).
            core = body[:-1] if body.endswith(b"\n") else body  # a segment may end mid-line
            parts = core.rsplit(b"\n", n)
            at = body_start
            if len(parts) > n:
                at += len(parts[0]) + 1
                parts = parts[1:]
            for raw in parts:
                lines.append(Line(src, Pos(seg, at), Pos(seg, min(at + len(raw) + 1, end)),
                                  _decode(raw, self.max_line)))
                at += len(raw) + 1
            return lines, (lines[0].start.offset if lines else body_start), used
        for m in reversed(list(match.line_spans(body))):
            a, b = m
            lines.append(Line(src, Pos(seg, body_start + a), Pos(seg, min(body_start + b + 1, end)),
                              _decode(body[a:b], self.max_line)))
            if len(lines) == n:
                return lines[::-1], body_start + a, used
        return lines[::-1], body_start, used

    def _make(self, src: int, seg: int, start: int, stop: int, head: bytes, end: int,
              match: Needle | None) -> Line | None:
        raw = head.rstrip(b"\n") if len(head) <= self.max_line else head
        if match is not None and not match.regex.search(match.hay(raw)):
            return None
        return Line(src, Pos(seg, start), Pos(seg, min(stop, end)), _decode(raw, self.max_line))

    def after(self, pos: Pos, n: int, src: int = 0, match: Needle | None = None,
              budget: int | None = None, partial: bool = False) -> tuple[list[Line], Pos]:
        """Up to `n` complete lines (matching `match`, when given) that start at or after `pos`, and
        the position the scan reached (just after the last complete line looked at). The newest
        file's unterminated last line is left for later (it is still being written) unless
        `partial`; an older generation's is a line of its own. Stops after `budget` bytes."""
        out: list[Line] = []
        reached = pos
        if n <= 0 or not self.segments:
            return out, reached
        seg, at = pos.seg, pos.offset
        budget = SCAN_BUDGET if budget is None else budget
        spent = 0
        while len(out) < n and spent < budget:
            size = self.size(seg)
            last = seg == len(self.segments) - 1
            if at >= size:
                if last:
                    break
                seg, at = seg + 1, 0
                reached = Pos(seg, 0)
                continue
            buf = self.read_at(seg, min(BLOCK, size - at), at)
            spent += len(buf)
            nl = buf.rfind(b"\n")
            if nl < 0:
                # One line longer than a block, or the end of a file.
                stop = self._line_end(seg, at + len(buf), size)
                if stop is None:  # no newline up to the end of the file
                    if last and not partial:
                        break
                    stop = size
                head = buf[: self.max_line + 1]
                line = self._make(src, seg, at, stop + 1 if stop < size else stop, head, size, match)
                if line:
                    out.append(line)
                at = min(stop + 1, size)
                reached = Pos(seg, at)
                continue
            body = buf[: nl + 1]
            if match is None:
                p = 0
                while len(out) < n:
                    q = body.find(b"\n", p)
                    if q < 0:
                        break
                    out.append(Line(src, Pos(seg, at + p), Pos(seg, at + q + 1),
                                    _decode(body[p:q], self.max_line)))
                    p = q + 1
                at += p
            else:
                p = len(body)
                for a, b in match.line_spans(body):
                    out.append(Line(src, Pos(seg, at + a), Pos(seg, at + b + 1),
                                    _decode(body[a:b], self.max_line)))
                    if len(out) == n:
                        p = b + 1
                        break
                at += p
            reached = Pos(seg, at)
        return out, reached

    def _line_end(self, seg: int, at: int, size: int) -> int | None:
        """The position of the next newline at or after `at` in `seg`, None when there is none."""
        while at < size:
            buf = self.read_at(seg, min(BLOCK, size - at), at)
            nl = buf.find(b"\n")
            if nl >= 0:
                return at + nl
            at += len(buf)
        return None


# -- several streams at once -----------------------------------------------------------------

def all_stamped(groups: Sequence[list[Line]]) -> bool:
    """Every line of every stream is stamped (and there is one): they are merged by time.
    The rule is `devctl logs`' (`supervisor.logs.all_stamped`)."""
    return logs.all_stamped([[line.text for line in g] for g in groups])


def merge(groups: Sequence[list[Line]], by_time: bool) -> list[Line]:
    """One list from each stream's lines (each in order): by time (equal stamps keep the streams'
    order) when `by_time`, else stream by stream — `devctl logs`' order, from its own
    `supervisor.logs.merge_by_time`."""
    if not by_time:
        return [line for group in groups for line in group]
    each = {str(i): iter(g) for i, g in enumerate(groups)}
    order = logs.merge_by_time([(str(i), [line.text for line in g]) for i, g in enumerate(groups)])
    return [next(each[key]) for key, _text in order]


def tail_start(chain: Chain) -> Pos:
    """Where following starts: the end of the last complete line (an unterminated one is being
    written; it is shown when its newline arrives)."""
    end = chain.end()
    if not chain.segments or end.offset == 0:
        return end
    if chain.read_at(end.seg, 1, end.offset - 1) == b"\n":
        return end
    got, reached = chain.before(end, 1)
    return got[0].start if got else reached


def first_line(chains: Sequence[Chain], starts: Sequence[Pos]) -> Line | None:
    """The earliest line at or after `starts[i]` in any chain (see `first_match` for ties)."""
    best: Line | None = None
    for i, chain in enumerate(chains):
        got, _ = chain.after(starts[i], 1, src=i, partial=True)
        if got and (best is None or _earlier(got[0], best)):
            best = got[0]
    return best


def first_match(chains: Sequence[Chain], match: Needle, starts: Sequence[Pos],
                should_stop: Callable[[], bool] = lambda: False) -> Line | None:
    """The first line at or after `starts[i]` in any chain that `match` finds something in; ties
    across chains go by time when both are stamped, else to the earlier chain. Scans in budgeted
    chunks so `should_stop` is asked between them."""
    best: Line | None = None
    for i, chain in enumerate(chains):
        at = starts[i]
        while not should_stop():
            got, reached = chain.after(at, 1, src=i, match=match, partial=True)
            if got:
                line = got[0]
                if best is None or _earlier(line, best):
                    best = line
                break
            if reached == at:
                break
            at = reached
    return best


def last_match(chains: Sequence[Chain], match: Needle, ends: Sequence[Pos],
               should_stop: Callable[[], bool] = lambda: False) -> Line | None:
    """The last line before `ends[i]` in any chain that `match` finds something in (see
    `first_match`)."""
    best: Line | None = None
    for i, chain in enumerate(chains):
        at = ends[i]
        while not should_stop():
            got, reached = chain.before(at, 1, src=i, match=match)
            if got:
                line = got[-1]
                if best is None or _earlier(best, line):
                    best = line
                break
            if reached == at:
                break
            at = reached
    return best


def _earlier(a: Line, b: Line) -> bool:
    ta, tb = line_time(a.text), line_time(b.text)
    if ta is not None and tb is not None and ta != tb:
        return ta < tb
    return a.src < b.src if a.src != b.src else a.start < b.start


# -- the lines a view holds ------------------------------------------------------------------

@dataclass(frozen=True)
class Loaded:
    """What a read found, applied on the UI thread by `Window.apply` if still current."""

    kind: str  # "older" (above the window), "newer" (below it) or "around" (a new window)
    epoch: int
    lines: list[Line]
    front: list[Pos]
    back: list[Pos]
    at_end: bool
    focus: Line | None = None  # "around": the line it is around (a match, the first error)
    origin: list[Pos] | None = None  # where the read started ("older": front, "newer": back)


class Window:
    """The lines a view holds: a slice of the merged streams, at most `cap` lines, and where reading
    goes on above it (`front`, per chain) and below it (`back`).

    Reads (`read_*`) do the I/O and change nothing, so worker threads run them; `apply` changes the
    window, on the UI thread. Each new window (`reset`, a jump) bumps `epoch`, and a read begun
    before that comes back stale and is dropped. `at_end` holds while `back` is every chain's end:
    following is then just `read_newer` again and again, so scrolling down and following are one
    path and no line is read twice or skipped.
    """

    def __init__(self, chains: Sequence[Chain], cap: int = 10_000,
                 match: Needle | None = None):
        self.chains = list(chains)
        self.cap = cap
        self.match = match
        self.lines: list[Line] = []
        self.front = [tail_start(c) for c in self.chains]
        self.back = list(self.front)
        self.at_end = True
        self.by_time = False
        self.epoch = 0
        #: Lines dropped from the front since the window was last replaced (a view keeps its place).
        self.dropped_front = 0

    def moved(self) -> bool:
        """Any chain may have lines past `back` (see `Chain.moved`)."""
        return any(c.moved(p) for c, p in zip(self.chains, self.back, strict=True))

    def at_start(self) -> bool:
        return all(p == Pos(0, 0) or not c.segments for p, c in zip(self.front, self.chains, strict=True))

    def reset(self, match: Needle | None = None) -> None:
        """Forget the lines (a new filter); the next `read_older` reads the tail again."""
        self.match = match
        self.lines = []
        self.front = [tail_start(c) for c in self.chains]
        self.back = list(self.front)
        self.at_end = True
        self.by_time = False
        self.dropped_front = 0
        self.epoch += 1

    def read_older(self, n: int) -> Loaded:
        """Up to `n` lines above the window: merged by time when stamped, else `n` per chain one
        chain after the other (what `devctl logs` prints)."""
        front, back = list(self.front), list(self.back)
        groups, reached = [], []
        for i, chain in enumerate(self.chains):
            got, r = chain.before(front[i], n, src=i, match=self.match)
            groups.append(got)
            reached.append(r)
        by_time = self.by_time or (not self.lines and all_stamped(groups))
        merged = merge(groups, by_time)
        if by_time and len(merged) > n:
            merged = merged[-n:]
            for i, g in enumerate(groups):
                taken = sum(1 for x in merged if x.src == i)
                if taken < len(g):  # the earliest were left out: go on from the first one taken
                    reached[i] = g[len(g) - taken].start if taken else front[i]
        return Loaded("older", self.epoch, merged, reached, back, self.at_end, origin=front)

    def read_newer(self, n: int) -> Loaded:
        """Up to `n` complete lines below the window (following, when `at_end`). Picks up a new
        current file (restart, rotation) and starts a truncated one again."""
        front, back, origin = list(self.front), list(self.back), list(self.back)
        groups = []
        for i, chain in enumerate(self.chains):
            got, r = chain.after(back[i], n, src=i, match=self.match)
            if not got and chain.segments:
                last = len(chain.segments) - 1
                if r.seg == last and chain.size(last) < r.offset:  # truncated in place (`: > file`)
                    got, r = chain.after(Pos(last, 0), n, src=i, match=self.match)
            if not got and chain.refresh():
                # `after` finishes the old file (no longer the newest, its unterminated last line
                # counts) and goes on into the new one.
                got, r = chain.after(r, n, src=i, match=self.match)
            groups.append(got)
            back[i] = r
        merged = merge(groups, self.by_time)
        if self.by_time and len(merged) > n:
            merged = merged[:n]
            for i, g in enumerate(groups):
                taken = sum(1 for x in merged if x.src == i)
                if taken < len(g):
                    back[i] = g[taken].start
        # At the end: every chain was read up to its end (fewer lines than asked), even if a writer
        # has added more since; following is this same read again, so nothing is skipped. A window
        # already at the end stays there (a flood always has more by the time one looks).
        at_end = self.at_end or all(len(g) < n for g in groups)
        return Loaded("newer", self.epoch, merged, front, back, at_end, origin=origin)

    def read_around(self, focus: Line, n: int) -> Loaded:
        """A new window around `focus`, `n` lines each side. Stamped streams merged by time are
        each found at `focus`'s time (`Chain.seek_time`), so the match is seen among what every
        service wrote then. Unstamped, the window is `focus`'s own stream (other streams' lines
        are not in the middle of it in `devctl logs`' order); they join below, when followed."""
        stamp = line_time(focus.text) if self.by_time else None
        starts: list[Pos | None] = [None] * len(self.chains)
        starts[focus.src] = focus.start
        if stamp is not None:
            for i, c in enumerate(self.chains):
                if i != focus.src:
                    # Equal stamps keep the streams' order: an earlier stream's come before.
                    starts[i] = c.seek_time(stamp, after_equal=i < focus.src)
        olders: list[list[Line]] = []
        newers: list[list[Line]] = []
        fronts = [Pos(0, 0) for _ in self.chains]  # unstamped others: nothing above
        backs = [tail_start(c) for c in self.chains]  # ... and from their end below
        for i, c in enumerate(self.chains):
            p = starts[i]
            if p is None:
                olders.append([])
                newers.append([])
                continue
            older, fronts[i] = c.before(p, n, src=i, match=self.match)
            newer, backs[i] = c.after(p, n + 1, src=i, match=self.match, partial=True)
            olders.append(older)
            newers.append(newer)
        above = merge(olders, stamp is not None)[-n:]
        below = merge(newers, stamp is not None)[: n + 1]
        for i in range(len(self.chains)):
            start = starts[i]
            if start is None:
                continue
            taken = [x for x in above if x.src == i]
            if len(taken) < len(olders[i]):  # the earliest were left out: go on from the first taken
                fronts[i] = taken[0].start if taken else start
            kept = sum(1 for x in below if x.src == i)
            if kept < len(newers[i]):
                backs[i] = newers[i][kept].start
        at_end = all(backs[i] >= tail_start(c) for i, c in enumerate(self.chains))
        return Loaded("around", self.epoch + 1, above + below, fronts, backs, at_end, focus)

    def apply(self, got: Loaded) -> bool:
        """Take a read's result if it is still current; True when the window changed."""
        if got.kind == "around":
            if got.epoch != self.epoch + 1:
                return False
            self.epoch = got.epoch
            self.lines = list(got.lines)
            self.front, self.back, self.at_end = list(got.front), list(got.back), got.at_end
            self.dropped_front = 0
            return True
        if got.epoch != self.epoch or got.origin != (self.front if got.kind == "older" else self.back):
            return False  # stale: the window moved since the read began
        if got.kind == "older":
            if not self.lines:
                self.by_time = all_stamped([got.lines])
            self.lines[:0] = got.lines
            self.front = list(got.front)
            if len(self.lines) > self.cap:  # drop the newest: the window no longer reaches the end
                for line in reversed(self.lines[self.cap:]):
                    self.back[line.src] = line.start
                del self.lines[self.cap:]
                self.at_end = False
        else:
            self.lines.extend(got.lines)
            self.back, self.at_end = list(got.back), got.at_end
            extra = len(self.lines) - self.cap
            if extra > 0:  # drop the oldest
                for line in self.lines[:extra]:
                    self.front[line.src] = line.end
                del self.lines[:extra]
                self.dropped_front += extra
        return bool(got.lines) or got.kind == "newer"
