"""The control socket's server half (`control.serve`) on `procs.tasks`, in-process.

The server runs in `tasks.run` on the test's thread; clients are blocking sockets in worker
threads (`tasks.run_sync_in_thread`, every socket with a timeout), so a wrong server fails the
test instead of hanging it. No processes: the supervisor's own ops are faked where they are
needed (`handlers._watch` against a fake event log).
"""

from __future__ import annotations

import json
import os
import socket
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from devctl.procs import tasks
from devctl.protocol.ndjson import MAX_LINE_BYTES
from devctl.supervisor import control, handlers
from devctl.supervisor.paths import short_socket_path
from tests.cli import read_reply_line

Send = Callable[[dict[str, Any]], Awaitable[None]]


def _client(sock_path: Path, timeout: float = 10.0) -> socket.socket:
    address, dirfd = short_socket_path(sock_path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    finally:
        if dirfd is not None:
            os.close(dirfd)
    return sock


def raw(sock_path: Path, payload: bytes) -> dict[str, Any] | None:
    """Send `payload` as-is; the first reply line (None: closed without one)."""
    with _client(sock_path) as sock:
        sock.sendall(payload)
        return read_reply_line(sock)


async def ask(sock_path: Path, payload: bytes) -> dict[str, Any] | None:
    return await tasks.run_sync_in_thread(raw, sock_path, payload)


async def echo(request: dict[str, Any], send: Send) -> None:
    if request.get("op") == "boom":
        raise KeyError("no such thing")
    await send({"ok": True, "echo": request})


def serving(sock_path: Path, handler: Any, body: Callable[[], Awaitable[None]]) -> None:
    """Run `serve` and `body()` together; the server is cancelled once `body` returns."""

    async def main() -> None:
        async with tasks.create_task_group() as tg:
            with tasks.fail_after(30):
                await control.serve(sock_path, handler, tg)
                await body()
            tg.cancel_scope.cancel()

    tasks.run(main)


def test_a_request_is_answered_on_a_0600_socket_even_on_a_long_path(tmp_path: Path):
    deep = tmp_path / ("d" * 90)
    deep.mkdir()
    sock_path = deep / "supervisor.sock"
    assert len(str(sock_path)) > 100  # past AF_UNIX's limit: served through /proc/self/fd
    replies: list[Any] = []

    async def body() -> None:
        assert stat.S_IMODE(os.stat(sock_path).st_mode) == 0o600
        reply = await tasks.run_sync_in_thread(lambda: control.call(sock_path, "ping", timeout=10, x=1))
        replies.append(reply)

    serving(sock_path, echo, body)
    assert replies == [{"ok": True, "echo": {"op": "ping", "x": 1}}]


def test_bad_request_lines_are_answered_and_the_server_goes_on(tmp_path: Path):
    sock_path = tmp_path / "s.sock"
    replies: list[Any] = []

    async def body() -> None:
        for payload in (b"{\n", b"[]\n", b"\xff\n", b"\n", b"x" * (MAX_LINE_BYTES + 1)):
            replies.append(await ask(sock_path, payload))
        replies.append(await ask(sock_path, b'{"op": "ping"}\n'))

    serving(sock_path, echo, body)
    assert [r["ok"] for r in replies] == [False] * 5 + [True]
    assert replies[0]["error"] == "bad request: not JSON"
    assert replies[1]["error"] == "bad request: expected a JSON object, got list"
    assert replies[2]["error"] == "bad request: line is not valid UTF-8"
    assert replies[3]["error"] == "bad request: empty line"
    assert replies[4]["error"] == f"bad request: line longer than {MAX_LINE_BYTES} bytes"


def test_a_client_that_goes_away_before_a_whole_line_is_no_error(tmp_path: Path, capsys):
    """Connect and close; connect, send half a line and close; connect, send, reset: the
    handler is never called, nothing is logged, the next request is answered."""
    sock_path = tmp_path / "s.sock"
    called: list[dict[str, Any]] = []
    replies: list[Any] = []

    async def handler(request: dict[str, Any], send: Send) -> None:
        called.append(request)
        await send({"ok": True})

    def rude() -> None:
        _client(sock_path).close()
        with _client(sock_path) as sock:
            sock.sendall(b'{"op": "pi')
        with _client(sock_path) as sock:  # a reset: SO_LINGER 0 closes with RST
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.sendall(b'{"op": "x"')

    async def body() -> None:
        await tasks.run_sync_in_thread(rude)
        replies.append(await ask(sock_path, b'{"op": "ping"}\n'))

    serving(sock_path, handler, body)
    assert called == [{"op": "ping"}] and replies == [{"ok": True}]
    assert capsys.readouterr().err == ""


def test_a_handler_that_raises_is_an_internal_error_reply_and_a_log_line(tmp_path: Path, capsys):
    sock_path = tmp_path / "s.sock"
    replies: list[Any] = []

    async def body() -> None:
        replies.append(await ask(sock_path, b'{"op": "boom"}\n'))
        replies.append(await ask(sock_path, b'{"op": "ping"}\n'))

    serving(sock_path, echo, body)
    assert replies == [{"ok": False, "error": "internal error: KeyError: 'no such thing'"},
                       {"ok": True, "echo": {"op": "ping"}}]
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError: 'no such thing'" in err


def test_a_shutdown_connection_is_held_until_release_held(tmp_path: Path):
    sock_path = tmp_path / "s.sock"
    seen: list[Any] = []

    async def handler(request: dict[str, Any], send: Send) -> None:
        await send({"ok": True, "stopped": []})

    async def body() -> None:
        sock = await tasks.run_sync_in_thread(_client, sock_path)
        with sock:
            sock.sendall(b'{"op": "shutdown"}\n')
            seen.append(await tasks.run_sync_in_thread(read_reply_line, sock))
            with tasks.fail_after(10):
                while not control._held:
                    await tasks.sleep(0.01)
            sock.settimeout(0.2)
            with pytest.raises(TimeoutError):  # the server's own socket is closed, its duplicate is not
                await tasks.run_sync_in_thread(sock.recv, 1)
            control.release_held()
            sock.settimeout(10)
            seen.append(await tasks.run_sync_in_thread(sock.recv, 1))

    serving(sock_path, handler, body)
    assert seen == [{"ok": True, "stopped": []}, b""]


def test_cancelling_the_task_group_closes_the_listener_and_the_connections(tmp_path: Path):
    sock_path = tmp_path / "s.sock"
    ended: list[Any] = []

    async def handler(request: dict[str, Any], send: Send) -> None:
        await send({"ok": True})
        await tasks.sleep(3600)  # a stream that never ends (`watch`)

    client: list[socket.socket] = []

    async def body() -> None:
        sock = await tasks.run_sync_in_thread(_client, sock_path)
        client.append(sock)
        sock.sendall(b'{"op": "watch"}\n')
        assert await tasks.run_sync_in_thread(read_reply_line, sock) == {"ok": True}

    serving(sock_path, handler, body)
    with client[0] as sock:
        ended.append(sock.recv(1))
    with pytest.raises(ConnectionRefusedError):
        _client(sock_path)
    assert ended == [b""]


# ---- a client that stops reading -----------------------------------------------------------


class FakeEvents:
    """The part of `EventLog` that `watch` uses: in-loop subscribers."""

    def __init__(self) -> None:
        self.subscribers: list[Callable[[dict[str, Any]], None]] = []

    def subscribe(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        self.subscribers.append(callback)
        return lambda: self.subscribers.remove(callback) if callback in self.subscribers else None

    def emit(self, service: str | None, event: str, **fields: Any) -> None:
        for callback in list(self.subscribers):
            callback({"ts": 0.0, "service": service, "event": event, **fields})


def fake_sup() -> Any:
    flushed: list[int] = []
    return SimpleNamespace(events=FakeEvents(), services={}, flushed=flushed,
                           flush_state=lambda: flushed.append(1), snapshot=lambda: {"services": []})


def test_a_watch_client_that_stops_reading_blocks_no_one_and_is_dropped(tmp_path: Path, monkeypatch):
    """It asks for `watch` and never reads while events of 64 KiB each pour out: its socket
    fills, its task waits for it alone (`ping` is answered meanwhile), and once it has taken
    nothing for `SEND_TIMEOUT_S` its connection ends and its subscription with it: what the
    server holds for it stays bounded."""
    monkeypatch.setattr(control, "SEND_TIMEOUT_S", 0.5)
    sock_path = tmp_path / "s.sock"
    sup = fake_sup()
    replies: list[Any] = []

    async def body() -> None:
        stalled = await tasks.run_sync_in_thread(_client, sock_path)
        with stalled:
            stalled.sendall(b'{"op": "watch"}\n')
            with tasks.fail_after(10):
                while not sup.events.subscribers:
                    await tasks.sleep(0.01)
            for _ in range(100):  # 6.4 MB: far more than the socket buffers hold
                sup.events.emit("api", "log", text="x" * 65536)
                await tasks.sleep(0)
            replies.append(await ask(sock_path, b'{"op": "ping"}\n'))
            with tasks.fail_after(10):
                while sup.events.subscribers:  # dropped after SEND_TIMEOUT_S without progress
                    await tasks.sleep(0.05)
            # What it finally reads: the snapshot, whole lines, then the end (no line cut short
            # is followed by another).
            stalled.shutdown(socket.SHUT_WR)
            data = await tasks.run_sync_in_thread(_read_all, stalled)
            replies.append(data)

    serving(sock_path, handlers.make_handler(sup), body)
    assert replies[0]["ok"] is True and replies[0]["pid"] == os.getpid()
    lines = replies[1].split(b"\n")
    assert json.loads(lines[0]) == {"ok": True, "state": {"services": []}}
    whole = [json.loads(line) for line in lines[1:-1]]
    assert whole and all(m["event"]["event"] == "log" for m in whole)
    assert len(whole) < 100  # it was cut off, the rest never queued up behind it


def _read_all(sock: socket.socket) -> bytes:
    out = b""
    while chunk := sock.recv(65536):
        out += chunk
    return out


def test_watch_drops_a_client_too_many_events_behind(monkeypatch, capsys):
    """A client that reads slower than events come, or not at all, is dropped once
    `WATCH_BACKLOG` events wait for it, even while a reply to it is still being written: the
    events queued for a client are bounded in number whatever its socket does."""
    monkeypatch.setattr(handlers, "WATCH_BACKLOG", 5)
    sup = fake_sup()
    sent: list[dict[str, Any]] = []

    async def main() -> None:
        slow = tasks.Event()

        async def send(msg: dict[str, Any]) -> None:
            sent.append(msg)
            if len(sent) == 2:
                await slow.wait()  # the client stalls on the first event

        async with tasks.create_task_group() as tg:
            tg.start_soon(handlers._watch, sup, {"op": "watch"}, send)
            with tasks.fail_after(10):
                while not sup.events.subscribers:
                    await tasks.sleep(0)
                sup.events.emit("api", "started")
                while len(sent) < 2:
                    await tasks.sleep(0)
                for i in range(10):
                    sup.events.emit("api", "log", n=i)
                assert sup.events.subscribers == []  # dropped while its send still waits
                slow.set()

    tasks.run(main)  # `_watch` returned by itself: the group ended
    assert [m.get("event", {}).get("event") for m in sent] == [None, "started"]
    assert "watch client dropped: 5 events behind" in capsys.readouterr().err


def test_watch_sends_what_one_turn_emitted_after_one_state_flush(monkeypatch):
    sup = fake_sup()
    sent: list[dict[str, Any]] = []

    async def main() -> None:
        async def send(msg: dict[str, Any]) -> None:
            sent.append(msg)

        async with tasks.create_task_group() as tg:
            tg.start_soon(handlers._watch, sup, {"op": "watch"}, send)
            with tasks.fail_after(10):
                while not sent:
                    await tasks.sleep(0)
                sup.events.emit("api", "started")
                sup.events.emit("api", "ready")
                sup.events.emit(None, "up_done")
                while len(sent) < 4:
                    await tasks.sleep(0)
            tg.cancel_scope.cancel()

    tasks.run(main)
    assert [m.get("event", {}).get("event") for m in sent] == [None, "started", "ready", "up_done"]
    assert len(sup.flushed) == 2  # one for the snapshot, one for the batch of three
    assert sup.events.subscribers == []  # cancelled: unsubscribed too
