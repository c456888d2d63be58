"""A child started with `subprocess.Popen` before the event loop existed, driven from asyncio.

Why: a plugin interpreter takes 30–60 ms to start. devctl can spawn it as soon as the config is
read and import the rest of itself (asyncio, anyio, the plugin host: another 60–100 ms) while
the plugin starts on the other core — but the child then exists before the event loop that
must read it. `AsyncPopen` gives such a child the small part of `anyio.abc.Process` the plugin
host uses: `pid`, `returncode`, `stdout` / `stderr` streams with `receive()` (EndOfStream at
the end, as anyio's), `wait()` and `aclose()`.

Exit is noticed through a pidfd (Linux ≥ 5.3: no thread, no SIGCHLD handler) and the child is
reaped with `Popen.poll()`; elsewhere one thread waits for it.
"""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import threading

from anyio import EndOfStream

#: Bytes the stream reader keeps before it stops reading the pipe (the host reads 64 KiB chunks).
_LIMIT = 2**20


def _same(protocol: asyncio.StreamReaderProtocol) -> asyncio.StreamReaderProtocol:
    return protocol


class _Stream:
    """One read pipe of the child (stdout or stderr) as an anyio-style byte receive stream."""

    def __init__(self, reader: asyncio.StreamReader, transport: asyncio.ReadTransport):
        self._reader = reader
        self._transport = transport

    async def receive(self, max_bytes: int = 65536) -> bytes:
        data = await self._reader.read(max_bytes)
        if not data:
            raise EndOfStream
        return data

    async def aclose(self) -> None:
        self._transport.close()


class AsyncPopen:
    """`popen` (with stdout and stderr pipes) adopted by the running event loop: see the module
    docstring. Create with `await AsyncPopen.adopt(popen)`."""

    def __init__(self, popen: subprocess.Popen[bytes], stdout: _Stream, stderr: _Stream):
        self._popen = popen
        self.pid = popen.pid
        self.stdout = stdout
        self.stderr = stderr
        self._exited = asyncio.Event()
        self._watch: int | None = None

    @classmethod
    async def adopt(cls, popen: subprocess.Popen[bytes]) -> AsyncPopen:
        loop = asyncio.get_running_loop()
        streams = []
        for pipe in (popen.stdout, popen.stderr):
            if pipe is None:
                raise ValueError("AsyncPopen needs a child started with stdout and stderr pipes")
            reader = asyncio.StreamReader(limit=_LIMIT, loop=loop)
            protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
            transport, _ = await loop.connect_read_pipe(functools.partial(_same, protocol), pipe)
            streams.append(_Stream(reader, transport))
        self = cls(popen, streams[0], streams[1])
        self._watch_exit(loop)
        return self

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode

    def _watch_exit(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):  # no pidfd here (or the child is already reaped)
            def wait() -> None:
                self._popen.wait()
                loop.call_soon_threadsafe(self._exited.set)

            threading.Thread(target=wait, name=f"wait-{self.pid}", daemon=True).start()
            return
        self._watch = pidfd
        loop.add_reader(pidfd, self._on_exit, loop)
        self._on_exit(loop)  # it may have exited before the reader was added

    def _on_exit(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._popen.poll() is None:
            return
        if self._watch is not None:
            loop.remove_reader(self._watch)
            os.close(self._watch)
            self._watch = None
        self._exited.set()

    async def wait(self) -> int:
        await self._exited.wait()
        code = self._popen.returncode
        return 0 if code is None else code

    async def aclose(self) -> None:
        """Close both pipes and wait for the child to end (the caller has stopped it)."""
        await self.stdout.aclose()
        await self.stderr.aclose()
        await self.wait()
