"""Reading NDJSON lines from a child's pipe (or the supervisor's socket): the one read loop.

The codec (`protocol.ndjson`) is pure; this is the loop around it that every reader used to
write again: read a chunk, split it with the 1 MiB cap (`LineTooLong` past it: the stream is
out of sync and the caller stops the peer), hand each line on, and at EOF keep an
unterminated last line in `tail`, where the caller decides what it means (the plugin host
accepts a complete frame, Dofek takes it as a reply, conformance reports it).

Three flavours share one splitter: `lines()` for blocking reads (threads, sockets), `feed()`
for a loop that reads by itself (the supervisor's socket, on `procs.tasks`) and `pump()` for
anyio byte streams (Dofek's runner). `pump` hands lines to a callback instead of being an async
generator: it runs on the plugin round-trip hot path, and a plain call per line is cheaper
than an async generator step. This module imports only the stdlib (anyio inside `pump`), so
the supervisor's light control client can use it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

from devctl.protocol.ndjson import MAX_LINE_BYTES, LineSplitter

#: Bytes asked for per read: a pipe's buffer, so one read usually empties it.
CHUNK = 65536


def _never() -> bool:
    return False


class LineReader:
    """One stream's lines. `tail` is set at EOF: the unterminated last line, or None."""

    def __init__(self, max_len: int = MAX_LINE_BYTES):
        self.splitter = LineSplitter(max_len)
        self.tail: bytes | None = None

    @property
    def max_len(self) -> int:
        return self.splitter.max_len

    def lines(self, read: Callable[[int], bytes]) -> Iterator[bytes]:
        """Every complete line until `read(CHUNK)` returns b"" (EOF); then `tail` is set.

        Raises `LineTooLong` (and whatever `read` raises)."""
        feed = self.splitter.feed
        while chunk := read(CHUNK):
            yield from feed(chunk)
        self.tail = self.splitter.flush()

    def feed(self, chunk: bytes) -> list[bytes]:
        """The lines `chunk` completes; b"" is EOF, which sets `tail` and completes none.

        Raises `LineTooLong`."""
        if not chunk:
            self.tail = self.splitter.flush()
            return []
        return self.splitter.feed(chunk)

    async def pump(self, receive: Callable[[int], Awaitable[bytes]], on_line: Callable[[bytes], object],
                   stop: Callable[[], bool] = _never) -> bool:
        """Pass each line from `receive(CHUNK)` (an anyio byte stream) to `on_line` until EOF or
        `stop()` is true (checked after every line). True at EOF (`tail` is then set), False
        when `stop()` ended it. An end-of-stream, closed or broken stream counts as EOF.

        Raises `LineTooLong`."""
        from anyio import BrokenResourceError, ClosedResourceError, EndOfStream

        feed = self.splitter.feed
        while not stop():
            try:
                chunk = await receive(CHUNK)
            except (EndOfStream, ClosedResourceError, BrokenResourceError):
                self.tail = self.splitter.flush()
                return True
            for line in feed(chunk):
                on_line(line)
                if stop():
                    return False
        return False
