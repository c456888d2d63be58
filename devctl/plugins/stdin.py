"""The plugin's stdin as a plain asyncio write-pipe transport.

Why not anyio's process stdin stream: its `send()` enters a shielded cancel scope and yields to
the event loop on every call. That costs an extra loop iteration per request — a large share of
a ~150 µs round trip. A write-pipe transport writes synchronously when the pipe has room (the
normal case: a request line is small) and only waits when the pipe is full.

The pipe is created by `launch.start_plugin` and its read end handed to `anyio.open_process` as
the child's stdin; only the write end lives here.
"""

from __future__ import annotations

import asyncio
import os


class _Protocol(asyncio.BaseProtocol):
    """Flow control for the write transport: remembers pause/resume and loss, wakes drainers."""

    def __init__(self) -> None:
        self.paused = False
        self.lost = False
        self._waiters: list[asyncio.Future[None]] = []

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._wake()

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait_writable(self) -> None:
        while self.paused and not self.lost:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter


class StdinWriter:
    """Write request lines to a plugin without yielding to the event loop unless the pipe is full."""

    def __init__(self, transport: asyncio.WriteTransport, protocol: _Protocol):
        self._transport = transport
        self._protocol = protocol

    @classmethod
    async def open(cls, fd: int) -> StdinWriter:
        """Wrap the write end `fd` of the plugin's stdin pipe (takes ownership of it)."""
        loop = asyncio.get_running_loop()
        pipe = os.fdopen(fd, "wb", buffering=0)
        try:
            transport, protocol = await loop.connect_write_pipe(_Protocol, pipe)
        except BaseException:
            pipe.close()
            raise
        return cls(transport, protocol)  # type: ignore[arg-type]

    @property
    def closed(self) -> bool:
        return self._protocol.lost or self._transport.is_closing()

    async def send(self, data: bytes) -> bool:
        """Write `data`; wait only while the pipe is full. False when the plugin's stdin is gone."""
        if self.closed:
            return False
        self._transport.write(data)
        if self._protocol.paused:
            await self._protocol.wait_writable()
        return not self._protocol.lost

    def close(self) -> None:
        """Close stdin (the plugin sees EOF once buffered bytes are written)."""
        if not self._transport.is_closing():
            self._transport.close()

    def abort(self) -> None:
        """Close at once, dropping unwritten bytes (the plugin is being killed anyway)."""
        if not self._protocol.lost and not self._transport.is_closing():
            self._transport.abort()
