"""The supervisor's control channel: an flock that says "I am alive" and an NDJSON Unix socket.

Protocol (one request per connection, as circus does): the client sends one line
`{"op": "...", ...args}`; the server answers `{"ok": true, ...}` or
`{"ok": false, "error": "..."}`. `watch` keeps the connection open and streams one event per
line after the first reply. The socket is mode 0600 inside the 0700 `.devctl/`: only the
user who runs the services can steer them. No TCP port is ever opened.

This module is stdlib-only (the server half runs on `procs.tasks`, imported where it is used). The line
codec (json, typing) is imported by the functions that read or write lines, not at import.
`devctl down`'s own request goes out earlier still, before this module is imported
(`supervisor/early_shutdown.py`); `call_until_closed(sent=...)` reads its reply.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from devctl.errors import DevctlError
from devctl.supervisor.paths import short_socket_path

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `typing` is an import `status` and `down` avoid
if TYPE_CHECKING:
    import socket
    from typing import Any

    Handler = Callable[[dict[str, Any], Callable[[dict[str, Any]], Awaitable[None]]], Awaitable[None]]


class AlreadyRunning(DevctlError):
    """Another supervisor holds the lock for this repo."""


def acquire_lock(lock: Path) -> int:
    """Take the repo's supervisor lock for the life of this process; returns the fd to keep."""
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise AlreadyRunning("a supervisor already runs for this repo") from None
        raise
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


# ---- server (inside the supervisor) -------------------------------------------------------

#: A reply the peer does not take within this many seconds (its socket buffer stays full: a
#: client that stopped reading, or is suspended) ends its connection. What the server holds
#: for a connection is thus the kernel's socket buffer plus the one line being written, for at
#: most this long; `watch` (handlers.py) bounds the events waiting behind that line.
SEND_TIMEOUT_S = 30.0
#: How long the accept loop pauses when the process is out of descriptors or memory (EMFILE,
#: ENFILE, ENOBUFS, ENOMEM) before it tries again: the connections it serves will free some.
ACCEPT_RETRY_S = 0.1


class Gone(Exception):
    """The client went away (reset, broken pipe, closed) or stopped taking replies."""


class Connection:
    """One client's connection: a non-blocking socket with awaitable `receive` and `send`.

    The loop never blocks on it: a read or write the socket cannot take now waits for
    readiness (`tasks.wait_readable` / `wait_writable`), so one slow client stalls only its
    own task. Every socket error but "try again" is `Gone`, and so is every `send` after one
    failed: a line cut short must not be followed by another."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.broken = False

    def fileno(self) -> int:
        return self.sock.fileno()

    async def receive(self, size: int) -> bytes:
        """Up to `size` bytes; b"" at end-of-file."""
        from devctl.procs import tasks

        while True:
            try:
                return self.sock.recv(size)
            except BlockingIOError:
                await tasks.wait_readable(self.sock)
            except OSError as exc:
                raise Gone(exc) from None

    async def send(self, data: bytes) -> None:
        """All of `data`: what the socket takes now, the rest as it drains. `Gone` when the
        peer takes nothing for `SEND_TIMEOUT_S` (the line is then only partly written, and the
        connection is closed by its task)."""
        from devctl.procs import tasks

        if self.broken:
            raise Gone("an earlier reply could not be sent")
        self.broken = True  # until the whole line is out
        view = memoryview(data)
        while view:
            try:
                sent = self.sock.send(view)
            except BlockingIOError:
                with tasks.move_on_after(SEND_TIMEOUT_S) as scope:
                    await tasks.wait_writable(self.sock)
                if scope.cancelled_caught:
                    raise Gone("the client takes no more replies") from None
                continue
            except OSError as exc:
                raise Gone(exc) from None
            view = view[sent:]
        self.broken = False


async def serve(sock_path: Path, handler: Handler, task_group: Any) -> None:
    """Listen on `sock_path` (0600) and run `handler(request, send)` per connection, each in a
    task of its own in `task_group` (a `procs.tasks` TaskGroup). Returns once listening; the
    accept loop closes the listening socket when `task_group` is cancelled."""
    import socket

    with contextlib.suppress(FileNotFoundError):
        sock_path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    address, dirfd = short_socket_path(sock_path)
    old_umask = os.umask(0o077)
    try:
        listener.bind(address)
        listener.listen(socket.SOMAXCONN)
        listener.setblocking(False)
    except BaseException:
        listener.close()
        raise
    finally:
        os.umask(old_umask)
        if dirfd is not None:
            os.close(dirfd)
    os.chmod(sock_path, 0o600)
    task_group.start_soon(_accept_loop, listener, handler, task_group)


async def _accept_loop(listener: socket.socket, handler: Handler, task_group: Any) -> None:
    from devctl.procs import tasks

    with listener:
        while True:
            await tasks.wait_readable(listener)
            try:
                sock, _address = listener.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                continue  # another wakeup took it, or the client gave up in the backlog
            except OSError as exc:
                if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    raise
                await tasks.sleep(ACCEPT_RETRY_S)
                continue
            sock.setblocking(False)
            task_group.start_soon(_connection, Connection(sock), handler)


async def _connection(conn: Connection, handler: Handler) -> None:
    # The client may go away at any point (e.g. Ctrl-C on `up`): not an error, and never
    # an exception into the listener's task group, which would end the supervisor.
    with conn.sock, contextlib.suppress(Gone):
        await _one(conn, handler)


async def _one(conn: Connection, handler: Handler) -> None:
    from devctl.procs.lines import CHUNK, LineReader
    from devctl.protocol.ndjson import decode, encode

    reader = LineReader()
    try:
        lines: list[bytes] = []
        while not lines:
            chunk = await conn.receive(CHUNK)
            if not chunk:  # gone before a whole request line
                return
            lines = reader.feed(chunk)
        request = decode(lines[0])
    except ValueError as exc:
        await conn.send(encode({"ok": False, "error": f"bad request: {exc}"}))
        return

    async def send(obj: dict[str, Any]) -> None:
        await conn.send(encode(obj))

    try:
        await handler(request, send)
        if request.get("op") == "shutdown":
            _hold_until_exit(conn)
    except Gone:
        raise
    except Exception as exc:  # noqa: BLE001 - one request must never end the supervisor
        # An exception here would cancel the listener's task group and with it the
        # supervisor, leaving its services orphaned: answer it as a refused request and
        # record it (stderr is supervisor.log) so the bug can be found and fixed.
        import traceback  # here: the CLI imports this module for its client half only

        with contextlib.suppress(OSError, ValueError):  # the log may be on a full disk
            traceback.print_exc()
        await send({"ok": False, "error": f"internal error: {type(exc).__name__}: {exc}"})


#: Duplicates of `shutdown` connections: closed by `release_held`, last thing before the exit,
#: or by the kernel when we exit.
_held: list[int] = []


def _hold_until_exit(conn: Connection) -> None:
    """Keep a `shutdown` request's connection open until this process has exited.

    The client must not clean up `.devctl/` before we are gone (a new supervisor could already
    hold a fresh lock there). With a duplicate of the connection that nobody closes, the kernel
    closes it as the process ends — after the lock was released — and the client reads
    end-of-file at that moment instead of polling the lock (`call_until_closed`).
    """
    with contextlib.suppress(OSError, ValueError):
        _held.append(os.dup(conn.fileno()))


def release_held() -> None:
    """Close the held `shutdown` connections now: the supervisor's last act before `os._exit`,
    once its lock is released, its files are removed and its services are gone.

    Why not leave them to the kernel: it closes a dying process's descriptors only after it
    has freed its memory, and freeing the ~20 MB a supervisor forked from the CLI holds takes
    5-10 ms on the development box, which `devctl down` used to wait through before its own
    last steps. Its reply carries our pid: the client overlaps those steps with that teardown,
    then waits for the process itself to end (`client._wait_exited`).
    """
    while _held:
        with contextlib.suppress(OSError):
            os.close(_held.pop())


# ---- client (inside the CLI; sync, stdlib only) -------------------------------------------


def connect(sock_path: Path, timeout: float | None) -> socket.socket:
    """Connect to the supervisor socket; DevctlError when no supervisor answers."""
    import socket

    address, dirfd = short_socket_path(sock_path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except OSError as exc:
        sock.close()
        reason = exc.strerror or exc
        raise DevctlError(f"the supervisor does not answer on {sock_path.name}: {reason}") from None
    finally:
        if dirfd is not None:
            os.close(dirfd)
    return sock


def call(sock_path: Path, op: str, *, timeout: float | None = 30.0, **args: Any) -> dict[str, Any]:
    """One request, one reply. Raises DevctlError on `ok: false` or a broken channel."""
    from devctl.protocol.ndjson import encode

    with connect(sock_path, timeout) as sock, _channel(op):
        sock.sendall(encode({"op": op, **args}))
        for reply in _replies(sock):
            if not reply.get("ok"):
                raise DevctlError(str(reply.get("error") or f"supervisor refused {op!r}"))
            return reply
    raise DevctlError(f"the supervisor closed the connection without answering {op!r}")


def call_until_closed(sock_path: Path, op: str, *, timeout: float | None, linger: float,
                      sent: socket.socket | None = None,
                      on_reply: Callable[[dict[str, Any]], None] | None = None,
                      **args: Any) -> tuple[dict[str, Any], bool]:
    """`call`, then wait up to `linger` seconds for the supervisor to close the connection;
    returns the reply and whether the connection ended (False: `linger` ran out first).

    For `shutdown`: the supervisor holds that connection until its process has exited
    (`_hold_until_exit`), so end-of-file says "gone" the moment it is. A reset or a stray line
    also ends the wait: the reply is what counts, and the caller checks the lock afterwards.
    `sent`: the connection on which this very request already went out (`early_shutdown.begin_shutdown`);
    only its reply is read. `on_reply` sees the reply before the wait for the end begins.
    """
    if sent is None:
        from devctl.protocol.ndjson import encode

        sent = connect(sock_path, timeout)
        with _channel(op):
            try:
                sent.sendall(encode({"op": op, **args}))
            except BaseException:
                sent.close()
                raise
    with sent as sock, _channel(op):
        sock.settimeout(timeout)
        replies = _replies(sock)
        for reply in replies:
            if not reply.get("ok"):
                raise DevctlError(str(reply.get("error") or f"supervisor refused {op!r}"))
            if on_reply is not None:
                on_reply(reply)
            sock.settimeout(linger)
            try:
                for _ in replies:  # nothing more is sent: this ends at end-of-file
                    pass
            except DevctlError:  # `linger` ran out (the only DevctlError `_replies` raises)
                return reply, False
            except (OSError, ValueError):
                pass
            return reply, True
    raise DevctlError(f"the supervisor closed the connection without answering {op!r}")


def stream(
    sock_path: Path, op: str, *, timeout: float | None = None, **args: Any
) -> Iterator[dict[str, Any]]:
    """Send one request and yield every line of the reply until the server closes."""
    from devctl.protocol.ndjson import encode

    with connect(sock_path, timeout) as sock, _channel(op):
        sock.sendall(encode({"op": op, **args}))
        yield from _replies(sock)


@contextlib.contextmanager
def _channel(op: str) -> Iterator[None]:
    """A supervisor that dies (or is killed) mid-request resets the connection: that is the
    same "no answer" as a closed one, a DevctlError the callers handle, never a traceback."""
    try:
        yield
    except ConnectionError as exc:  # reset, broken pipe, aborted
        reason = exc.strerror or type(exc).__name__
        raise DevctlError(
            f"the supervisor closed the connection without answering {op!r} ({reason})"
        ) from None


def _replies(sock: socket.socket) -> Iterator[dict[str, Any]]:
    from devctl.procs.lines import LineReader
    from devctl.protocol.ndjson import decode

    def receive(size: int) -> bytes:
        try:
            return sock.recv(size)
        except TimeoutError:
            raise DevctlError("the supervisor did not answer in time") from None

    for line in LineReader().lines(receive):
        yield decode(line)
