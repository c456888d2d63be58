"""The control-socket client: a supervisor that dies mid-request is a clear error, not a traceback."""

from __future__ import annotations

import select
import socket
import threading
from pathlib import Path

import pytest

from devctl.errors import DevctlError
from devctl.supervisor import control, early_shutdown


def dying_server(path: Path) -> threading.Thread:
    """Accept one connection, wait for the request to arrive, close without reading it.

    Closing a Unix socket with unread data resets the connection: the client's recv fails with
    ECONNRESET, exactly what a supervisor killed while a request is in flight looks like."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        select.select([conn], [], [], 10)
        conn.close()
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("use_stream", [False, True])
def test_a_connection_reset_mid_request_is_a_devctl_error(tmp_path: Path, use_stream: bool):
    sock_path = tmp_path / "supervisor.sock"
    thread = dying_server(sock_path)
    with pytest.raises(DevctlError, match="closed the connection without answering 'shutdown'"):
        if use_stream:
            list(control.stream(sock_path, "shutdown", timeout=10))
        else:
            control.call(sock_path, "shutdown", timeout=10)
    thread.join(10)


def test_the_client_half_imports_no_traceback():
    """`down` and every other request import this module for its client half; `traceback`
    (5-10 ms of import, more under load) is only for the server's error path."""
    import subprocess
    import sys

    code = ("import sys\n"
            "import devctl.supervisor.client, devctl.supervisor.control\n"
            "print('traceback' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("hold", [False, True])
def test_call_until_closed_says_whether_the_connection_ended(tmp_path: Path, hold: bool):
    """After the reply the client waits for end-of-file (the supervisor's exit); if `linger`
    runs out first it says so, and `down` then goes straight to its SIGKILL fallback instead of
    waiting a second time."""
    sock_path = tmp_path / "supervisor.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(sock_path))
    server.listen(1)
    release = threading.Event()

    def serve() -> None:
        conn, _ = server.accept()
        select.select([conn], [], [], 10)
        conn.recv(4096)
        conn.sendall(b'{"ok": true, "stopped": []}\n')
        if hold:
            release.wait(10)
        conn.close()
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        reply, closed = control.call_until_closed(sock_path, "shutdown", timeout=10, linger=0.2)
    finally:
        release.set()
        thread.join(10)
    assert reply == {"ok": True, "stopped": []}
    assert closed is not hold


def _one_reply_server(sock_path: Path, reply: bytes, got: list[bytes]) -> threading.Thread:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(sock_path))
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        select.select([conn], [], [], 10)
        got.append(conn.recv(4096))
        conn.sendall(reply)
        conn.close()
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_early_begin_shutdown_sends_the_request_and_call_until_closed_reads_its_reply(tmp_path: Path):
    """`devctl down` sends its request before importing the rest (cli/down_early.py): the line
    goes out on a connection kept for `down`, which then reads only the reply on it."""
    import fcntl
    import os

    sock_path, lock = tmp_path / "supervisor.sock", tmp_path / "supervisor.lock"
    got: list[bytes] = []
    thread = _one_reply_server(sock_path, b'{"ok": true, "stopped": ["a"], "pid": 7}\n', got)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a live supervisor holds the lock
    try:
        # as cli/down_early.py sends it (str paths, no pathlib) and client.down takes it (Paths)
        assert early_shutdown.begin_shutdown(str(sock_path), str(lock))
        sent = early_shutdown.take_begun(sock_path)
        assert sent is not None and early_shutdown.take_begun(sock_path) is None  # taken once
        seen: list[dict] = []
        reply, closed = control.call_until_closed(sock_path, "shutdown", timeout=10, linger=10,
                                                  sent=sent, on_reply=seen.append)
    finally:
        os.close(fd)
        thread.join(10)
    assert [line.rstrip(b"\n") for line in got] == [b'{"op": "shutdown"}']
    assert reply == {"ok": True, "stopped": ["a"], "pid": 7} and seen == [reply] and closed


def test_early_begin_shutdown_sends_nothing_without_a_live_supervisor(tmp_path: Path):
    lock = tmp_path / "supervisor.lock"
    assert not early_shutdown.begin_shutdown(tmp_path / "supervisor.sock", lock)  # no lock file at all
    lock.write_text("")
    assert not early_shutdown.begin_shutdown(tmp_path / "supervisor.sock", lock)  # nobody holds it
    assert early_shutdown.take_begun(tmp_path / "supervisor.sock") is None


def test_release_held_ends_the_held_shutdown_connections():
    """The supervisor closes the `shutdown` connections it held as its last act before exiting,
    instead of leaving them to the kernel, which closes them only after freeing its memory."""
    import os

    mine, peer = socket.socketpair()
    with peer:
        control._held.append(os.dup(mine.fileno()))
        mine.close()
        peer.settimeout(10)
        control.release_held()
        assert peer.recv(1) == b"" and control._held == []
