"""`devctl down` sends its `shutdown` before it imports the rest of the CLI (cli/down_early.py).

A stand-in supervisor (holds the lock, answers on the socket, in a thread of the test) stands
for the real one, whose own side is covered by tests/reliability/test_own_processes.py: here
what matters is what the CLI has imported when its request goes out, and that `down` still
says what it stopped when the supervisor is done (and state.json gone) before `down` reads it.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import socket
import subprocess
import sys
import threading
from pathlib import Path

from devctl.supervisor.paths import Paths, short_socket_path
from tests.cli import ok, run_cli

#: Runs the CLI as `python -m devctl` does, noting which modules are loaded at its first connect.
PROBE = r"""
import sys
seen = []
def hook(event, args):
    if event == "socket.connect" and not seen:
        names = ("devctl.cli.fastpath", "devctl.supervisor.client", "socket")
        seen.append(sorted(m for m in names if m in sys.modules))
sys.addaudithook(hook)
import atexit
atexit.register(lambda: sys.stderr.write("LOADED AT CONNECT %s\n" % (seen[0] if seen else None)))
atexit.register(lambda: sys.stderr.write("SOCKET AT EXIT %s\n" % ("socket" in sys.modules)))
sys.argv = ["devctl", *sys.argv[1:]]
from devctl.cli.main import main
main()
"""


class FakeSupervisor:
    """Holds the lock and answers one `shutdown` the way a supervisor does: the reply once its
    services are stopped, then its lock released, then the connection closed (control.py)."""

    def __init__(self, root: Path, reply: dict):
        self.paths = Paths(root)
        self.paths.state_dir.mkdir(mode=0o700, exist_ok=True)
        self.lock_fd = os.open(self.paths.lock, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.lock_fd, fcntl.LOCK_EX)
        address, dirfd = short_socket_path(self.paths.sock)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.server.bind(address)
        finally:
            if dirfd is not None:
                os.close(dirfd)
        self.server.listen(1)
        self.requests: list[dict] = []
        self.reply = reply
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        self.server.close()  # one request: any other connection is refused at once
        with conn:
            data = b""
            while b"\n" not in data and select.select([conn], [], [], 30)[0]:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            self.requests.append(json.loads(data))
            conn.sendall(json.dumps(self.reply).encode() + b"\n")
            os.close(self.lock_fd)  # gone, as far as .devctl/ is concerned
            self.lock_fd = -1
            self.paths.sock.unlink()

    def join(self) -> None:
        self.thread.join(30)
        if self.lock_fd >= 0:
            os.close(self.lock_fd)


def test_a_plain_down_sends_its_request_before_the_fast_path_is_imported(tmp_path: Path):
    fake = FakeSupervisor(tmp_path, {"ok": True, "stopped": ["web"], "run_id": "r-early"})
    try:
        res = subprocess.run([sys.executable, "-c", PROBE, "-C", str(tmp_path), "down"],
                             capture_output=True, text=True, timeout=60, env={**os.environ, "NO_COLOR": "1"})
    finally:
        fake.join()
    assert res.returncode == 0, res.stderr
    assert fake.requests == [{"op": "shutdown"}]
    assert "LOADED AT CONNECT []" in res.stderr, res.stderr  # not fastpath, client, even socket
    # nor later: the reply is read on the raw connection (3-7 ms of CPU less while services exit)
    assert "SOCKET AT EXIT False" in res.stderr, res.stderr
    # state.json was never there (as after a supervisor that finished first): the reply names them
    assert "stopped 1 service" in res.stdout + res.stderr


def test_a_plain_down_reports_what_it_stopped_though_state_json_is_unreadable(tmp_path: Path):
    """The request is out before state.json is read: when the file is corrupt and the supervisor
    (busy finishing that shutdown) no longer answers `status`, the reply says what stopped."""
    fake = FakeSupervisor(tmp_path, {"ok": True, "stopped": ["web", "db"], "run_id": "r-c"})
    fake.paths.state.write_text("{")
    try:
        res = ok(run_cli("-C", str(tmp_path), "down"))
    finally:
        fake.join()
    assert fake.requests == [{"op": "shutdown"}]
    assert "stopped 2 services" in res.stdout + res.stderr


def test_down_with_an_option_sends_it_the_ordinary_way(tmp_path: Path):
    fake = FakeSupervisor(tmp_path, {"ok": True, "stopped": ["a", "b"], "run_id": "r-late"})
    try:
        res = ok(run_cli("-C", str(tmp_path), "down", "--timeout", "1s"))
    finally:
        fake.join()
    assert fake.requests == [{"op": "shutdown", "grace_s": 1.0}]
    assert "stopped 2 services" in res.stdout + res.stderr


def test_down_returns_only_once_the_process_its_supervisor_named_has_ended():
    """The supervisor closes its connection right before it exits (control.release_held); `down`
    then waits for the pid its reply named (client._wait_exited) before it returns."""
    from devctl.supervisor.client import _open_pidfd, _wait_exited

    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    fds: list[int] = []
    try:
        _open_pidfd(child.pid, fds)
        assert len(fds) == 1
        waiter = threading.Thread(target=_wait_exited, args=(fds, 30.0), daemon=True)
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive(), "returned while the process still ran"
        assert child.stdin is not None
        child.stdin.close()  # the child exits
        waiter.join(30)
        assert not waiter.is_alive()
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
