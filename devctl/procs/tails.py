"""A child's stderr: drained continuously, passed on line by line, last lines kept for errors.

Every host (plugins, Dofek, conformance) keeps one of these per child.

stderr must be read even when nobody looks at it: a child that fills the pipe buffer (64 KiB)
blocks on its next write and then looks hung. So every child gets a drain (a task, or a
thread for blocking pipes) that never stops reading, hands each line to
`on_line(source, line)` (the CLI shows plugin stderr at -v) and keeps the last lines so an
error can show why the child died.

Unlike stdout, stderr is for humans and carries no protocol: a very long line is cut, not
refused, and invalid UTF-8 is replaced. (A dotagent call keeps its stderr as bytes, bounded
like its stdout: see `procs.bounded`.) The cutting splitter, `LineCutter`, is also what
`devctl logs` reads service log files with: linear and bounded whatever the lines look like.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from devctl.util.lazylog import LazyLogger

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from anyio.abc import ByteReceiveStream

#: How many stderr lines are kept by default.
TAIL_LINES = 50
#: A stderr line longer than this is cut (and the rest of it dropped up to its newline).
MAX_STDERR_LINE = 64 * 1024
#: Bytes asked for per read.
CHUNK = 65536
#: What follows the kept head of a line that was cut (stderr tails and `devctl logs` alike).
CUT_MARK = " …[line cut]"

log = LazyLogger("devctl.procs")

#: `on_line(source, line)`: `source` names the child (a plugin id), `line` has no newline.
OnStderr = Callable[[str, str], None]


class LineCutter:
    """Split a byte stream into lines, cutting any line longer than `max_line` (its head and
    CUT_MARK are kept, the rest skipped up to its newline). Linear in the bytes fed and bounded
    in memory whatever the lines look like: what `StderrTail` and `devctl logs` split with."""

    def __init__(self, max_line: int = MAX_STDERR_LINE):
        self._buf = bytearray()
        self._max = max_line
        self._cut = CUT_MARK.encode()
        self._skipping = False  # inside the cut-off remainder of an over-long line

    def split(self, chunk: bytes) -> list[bytes]:
        """The lines `chunk` completes (without newlines)."""
        if self._skipping:
            nl = chunk.find(b"\n")
            if nl < 0:
                return []
            self._skipping = False
            chunk = chunk[nl + 1:]
        parts = chunk.split(b"\n")
        rest = parts.pop()
        mx = self._max
        if parts:
            if self._buf:
                self._buf += parts[0]
                parts[0] = bytes(self._buf)
                self._buf.clear()
            parts = [raw if len(raw) <= mx else raw[:mx] + self._cut for raw in parts]
        self._buf += rest
        if len(self._buf) > mx:
            # Emit what fits now and ignore the rest of this line: memory stays bounded.
            parts.append(bytes(self._buf[:mx]) + self._cut)
            self._buf.clear()
            self._skipping = True
        return parts

    def flush(self) -> bytes | None:
        """At EOF: the unterminated last line, if any (None when it was cut already)."""
        raw = bytes(self._buf) if self._buf and not self._skipping else None
        self._buf.clear()
        self._skipping = False
        return raw


class StderrTail:
    """Split stderr bytes into lines, forward them, remember the last `keep` of them. Pure but for
    the callback, so the splitting rules are tested without a process."""

    def __init__(self, source: str = "", on_line: OnStderr | None = None, *, keep: int = TAIL_LINES,
                 max_line: int = MAX_STDERR_LINE):
        self.source = source
        self._on_line = on_line
        self._tail: deque[str] = deque(maxlen=keep)
        self._lines = LineCutter(max_line)

    def feed(self, chunk: bytes) -> None:
        for raw in self._lines.split(chunk):
            self._emit(raw)

    def flush(self) -> None:
        """At EOF: emit an unterminated last line."""
        raw = self._lines.flush()
        if raw is not None:
            self._emit(raw)

    def _emit(self, raw: bytes) -> None:
        line = raw.decode("utf-8", "replace").rstrip("\r")
        self._tail.append(line)
        if self._on_line is not None:
            try:
                self._on_line(self.source, line)
            except Exception:  # a broken display callback must not stop the drain
                log.exception("on_stderr callback failed for %r", self.source)

    def tail(self, n: int = 20, *, skip_blank: bool = False) -> list[str]:
        """The last `n` lines kept (`skip_blank`: of those with text)."""
        if n <= 0:
            return []
        lines = [ln for ln in self._tail if ln.strip()] if skip_blank else list(self._tail)
        return lines[-n:]


async def drain(stream: ByteReceiveStream, tail: StderrTail) -> None:
    """Read `stream` until EOF, feeding `tail`. Returns at EOF or when the stream is closed."""
    from anyio import BrokenResourceError, ClosedResourceError, EndOfStream

    try:
        while True:
            try:
                chunk = await stream.receive(CHUNK)
            except (EndOfStream, ClosedResourceError, BrokenResourceError):
                break
            tail.feed(chunk)
    finally:
        tail.flush()


def drain_sync(read: Callable[[int], bytes], tail: StderrTail) -> None:
    """Blocking twin of `drain` for a reader thread: `read(CHUNK)` until b"" or an OSError."""
    try:
        while chunk := read(CHUNK):
            tail.feed(chunk)
    except (OSError, ValueError):  # closed under us while stopping
        pass
    finally:
        tail.flush()
