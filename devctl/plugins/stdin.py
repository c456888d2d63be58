"""The plugin's stdin: request lines written without ever blocking devctl.

The write end of the pipe is non-blocking. A request line (small: the normal case) is written at
once; when the pipe is full — a plugin that reads slowly, or a very large request — the rest
waits here and the reactor writes it as the pipe drains, while it goes on reading the plugin's
stdout and stderr. A plugin that writes while devctl writes therefore never deadlocks the two.

The pipe is created by `launch` (or `early`) and its read end given to the child as its stdin;
only the write end lives here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable

from devctl.procs.reactor import Reactor


class StdinWriter:
    """Write request lines to a plugin; see the module docstring."""

    def __init__(self, fd: int, reactor: Reactor, on_lost: Callable[[], None] | None = None):
        """`on_lost` is called once when a write finds the plugin's stdin gone (EPIPE)."""
        os.set_blocking(fd, False)
        self._on_lost = on_lost
        self._fd = fd
        self._reactor = reactor
        self._buffer = bytearray()
        self._waiting = False  # registered for writability
        self._close_when_flushed = False
        #: The plugin's stdin is gone (it exited or closed it): nothing more can be sent.
        self.lost = False
        self._closed = False

    @property
    def closed(self) -> bool:
        return self.lost or self._closed or self._close_when_flushed

    @property
    def unsent(self) -> int:
        """Bytes still waiting for room in the pipe."""
        return len(self._buffer)

    def send(self, data: bytes) -> bool:
        """Queue `data` and write what fits now. False when the plugin's stdin is gone."""
        if self.closed:
            return False
        if self._buffer:
            self._buffer += data
        else:
            self._buffer = bytearray(data)
            self._flush()
        return not self.lost

    def _flush(self) -> None:
        while self._buffer:
            try:
                written = os.write(self._fd, self._buffer)
            except BlockingIOError:
                break
            except OSError:  # EPIPE: the plugin exited or closed its stdin
                self.lost = True
                self._buffer.clear()
                if self._on_lost is not None:
                    self._on_lost()
                break
            del self._buffer[:written]
        if self._buffer and not self._waiting:
            self._waiting = True
            self._reactor.add_writer(self._fd, self._flush)
        elif not self._buffer:
            if self._waiting:
                self._waiting = False
                self._reactor.remove_writer(self._fd)
            if self._close_when_flushed or self.lost:
                self._close_fd()

    def close(self) -> None:
        """Close stdin once what was sent is written (the plugin then sees EOF)."""
        if self._closed:
            return
        self._close_when_flushed = True
        if not self._buffer:
            self._close_fd()

    def abort(self) -> None:
        """Close at once, dropping unwritten bytes (the plugin is being stopped anyway)."""
        self._buffer.clear()
        if self._waiting:
            self._waiting = False
            self._reactor.remove_writer(self._fd)
        self._close_fd()

    def _close_fd(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(OSError):
                os.close(self._fd)
