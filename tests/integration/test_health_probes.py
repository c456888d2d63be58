"""Health beyond tcp: exec probes, the probe knobs, liveness restarts, with real processes.

One supervised environment carries the exec story end to end (ready after a delay, probes in
the service's cwd and env, a probe that hangs past its deadline is killed with its group and
counts as a failure, `restart_on_unhealthy`, no health for a stopped service). The probes'
edge cases (HTTP status range and headers, an exec probe's output, a hung probe's helpers) are
checked on the prober itself, in-process, against real sockets and processes.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devctl.pipeline.services import normalize_service
from devctl.procs import tasks
from devctl.supervisor.health import Prober
from tests.cli import ok, wait_for
from tests.integration.test_supervisor_cli import open_repo, service
from tests.reliability.harness import alive

SERVICES = Path(__file__).resolve().parents[2] / "testdata" / "services"
PROBE = str(SERVICES / "health_probe.py")


@pytest.fixture
def repo(tmp_path):
    yield from open_repo(tmp_path)


def probe_pids(workdir: Path) -> list[int]:
    path = workdir / "probe.pids"
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_exec_health_ready_after_a_delay_hung_probe_killed_restart_on_unhealthy_and_stop(repo):
    workdir = repo.root / "api"
    workdir.mkdir()
    repo.plan(service("api", "ready_after.py", "0.4", cwd="api", env={"PROBE_TOKEN": "t"},
                      max_restarts=3, health={
                          "type": "exec", "command": ["{python}", "@health_probe.py"],
                          # generous: a python probe may take a while to start on a loaded machine
                          "probe_timeout_ms": 2500, "period_ms": 100, "failure_threshold": 2,
                          "restart_on_unhealthy": True}))
    res = repo.cli("up")
    ok(res)
    assert "api" in res.stderr and "healthy" in res.stderr
    api = repo.service("api")
    assert api["state"] == "healthy" and api["health"]["ok"] is True
    assert api["ready_at"] > api["started_at"]  # `up` reports "healthy in <time since start>"
    assert api["health"]["target"] == f"{sys.executable} {PROBE}"
    assert "exec: ok" in repo.cli("status").stdout

    # The probe hangs from now on: each attempt is killed at 2.5 s, helper included, and
    # counts as a failure; two in a row make it unhealthy, and it is restarted.
    (workdir / "hang").touch()

    def event(name: str) -> dict | None:
        return next((e for e in repo.events() if e["event"] == name and e.get("service") == "api"), None)

    unhealthy = wait_for(lambda: event("unhealthy"), what="api to become unhealthy", every=0.2)
    assert unhealthy["restart"] is True and unhealthy["error"] == "no answer within 2500 ms (killed)"
    wait_for(lambda: event("restarting"), what="api to be restarted", every=0.2)
    hung = probe_pids(workdir)
    assert len(hung) >= 2  # a hung probe and its helper, at least
    (workdir / "hang").unlink()
    wait_for(lambda: (s := repo.service("api"))["state"] == "healthy" and s["restarts"] >= 1,
             what="api healthy again after the restart", every=0.3)
    wait_for(lambda: not any(alive(pid) for pid in probe_pids(workdir)), timeout=5,
             what="every hung probe and its helper to be gone")
    exited = [e for e in repo.events() if e["event"] == "exited" and e.get("service") == "api"]
    assert exited[0]["error"] == "unhealthy: no answer within 2500 ms (killed)"

    # Regression: a stopped service showed its last probe (`exec: ok`); it has no health.
    ok(repo.cli("stop", "api"))
    api = repo.service("api")
    assert api["state"] == "stopped" and api["health"]["ok"] is None and api["health"]["error"] == ""
    row = next(line for line in repo.cli("status").stdout.splitlines() if line.startswith("api"))
    assert "exec:" not in row and " - " in row  # (the LOG column's path may contain "exec")
    ok(repo.cli("down"))


def checked(health: dict, cwd: str = "/") -> dict:
    return normalize_service({"name": "s", "command": ["x"], "cwd": cwd, "health": health}, "p", Path("/"))


class Recorder(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def do_GET(self):
        Recorder.seen.append(dict(self.headers))
        self.send_response(int(self.path.strip("/")))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, fmt, *args):
        pass


@pytest.fixture
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_http_status_range_and_headers(http_server):
    def probe(path: str, **extra) -> tuple[bool, str]:
        # `http`'s generous deadline: the first probe imports httpx, slow on a loaded machine.
        return http(f"{http_server}/{path}", **extra)

    assert probe("302") == (True, "")  # the default range: 2xx and 3xx
    assert probe("503") == (False, "HTTP 503")
    assert probe("204", status=[200, 200]) == (False, "HTTP 204")
    assert probe("503", status=[200, 503], headers={"Host": "api.local", "X-Probe": "yes"}) == (True, "")
    assert Recorder.seen[-1]["Host"] == "api.local" and Recorder.seen[-1]["X-Probe"] == "yes"


def test_exec_probe_runs_in_the_services_cwd_and_env_and_reports_why_it_failed(tmp_path):
    def probe(env: dict[str, str], **extra) -> tuple[bool, str]:
        spec = {"type": "exec", "command": [sys.executable, PROBE], "probe_timeout_ms": 10000, **extra}
        health = checked(spec, str(tmp_path))["health"]

        async def main():
            prober = Prober()
            result = await prober.probe(health, env, str(tmp_path))
            assert prober.pids == set()  # reaped, nothing in flight
            return result

        return tasks.run(main)

    assert probe({"PROBE_TOKEN": "t"}) == (False, "exited with code 1: not ready yet")
    assert probe({}) == (False, "exited with code 3: PROBE_TOKEN is not set: not the service's environment")
    (tmp_path / "ready").touch()
    assert probe({"PROBE_TOKEN": "t"}) == (True, "")
    missing = checked({"type": "exec", "command": [str(tmp_path / "nope")]})["health"]
    ok_, error = tasks.run(Prober().probe, missing, {}, str(tmp_path))
    assert not ok_ and error.endswith("nope: No such file or directory")
    # A probe that hangs past its deadline is killed with its helper, and says so.
    (tmp_path / "hang").touch()
    # (4 s: the probe and its helper are python programs, which start slowly on a loaded machine.)
    assert probe({"PROBE_TOKEN": "t"}, probe_timeout_ms=4000) == (False, "no answer within 4000 ms (killed)")
    pids = probe_pids(tmp_path)
    assert len(pids) == 2 and not any(alive(pid) for pid in pids)


def test_tcp_probe_by_address_and_by_name():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]

        def probe(address: str) -> tuple[bool, str]:
            health = checked({"type": "tcp", "address": address, "probe_timeout_ms": 10000})["health"]
            return tasks.run(Prober().probe, health)

        assert probe(f"127.0.0.1:{port}") == (True, "")  # an address: connected on the event loop
        assert probe(f"localhost:{port}") == (True, "")  # a name: resolved first (in a thread)
        server.close()
        assert probe(f"127.0.0.1:{port}") == (False, "connection refused")
        # (the wording of anyio's connect_tcp, kept: a name may stand for several addresses)
        assert probe(f"localhost:{port}") == (False, "All connection attempts failed")
    assert probe("nonexistent.invalid:80")[1] in ("name or service not known", NO_NAME)
    assert not probe_threads()


#: getaddrinfo's words for a name that does not exist, where NSS says "no address" instead
NO_NAME = "no address associated with hostname"


def probe_threads() -> list[threading.Thread]:
    """The prober's worker threads still running (HTTP requests, name lookups)."""
    return [t for t in threading.enumerate() if t.name == "devctl-probe" and t.is_alive()]


def http(url: str, probe_timeout_ms: int = 10000, **extra) -> tuple[bool, str]:
    """One probe of `url` by a fresh prober, closed afterwards (as the supervisor closes its own)."""
    health = checked({"type": "http", "url": url, "probe_timeout_ms": probe_timeout_ms, **extra})["health"]

    async def main() -> tuple[bool, str]:
        prober = Prober()
        try:
            return await prober.probe(health)
        finally:
            await prober.aclose()

    return tasks.run(main)


def test_http_probe_failures_are_one_readable_line(http_server):
    """Refused, a 500, TLS spoken to a plain-HTTP server, a name: each probe answers (ok, error),
    the error a line a person can read, and no request thread is left running."""
    assert http(f"{http_server}/500") == (False, "HTTP 500")
    port = int(http_server.rpartition(":")[2])
    assert http(f"http://localhost:{port}/200") == (True, "")  # a name, not an address
    ok_, error = http(f"https://127.0.0.1:{port}/200")
    assert not ok_ and "SSL" in error and "\n" not in error and "Traceback" not in error
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: refused
        assert http(f"http://127.0.0.1:{closed.getsockname()[1]}/") == (False, "connection refused")
    assert http("http://nonexistent.invalid/")[1] in ("name or service not known", NO_NAME)
    wait_for(lambda: not probe_threads(), timeout=10, what="the probes' threads to end")


class Silent:
    """A server that takes connections and reads their request, but never answers it; with
    `trickle`, it starts an answer and then sends one byte of a header every 50 ms (so no
    read ever times out). `closed` counts connections whose client went away."""

    def __init__(self, trickle: bool = False):
        self.trickle = trickle
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/"
        self.accepted = 0
        self.closed = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._serve, daemon=True)]
        self.threads[0].start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed
                return
            self.accepted += 1
            thread = threading.Thread(target=self._hold, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _hold(self, conn: socket.socket) -> None:
        """Until the client goes away (or 30 s, or the test ends)."""
        with conn:
            conn.settimeout(0.05)
            seen = b""
            started = False
            for _ in range(600):  # 30 s at most
                if self.stop.is_set():
                    return
                try:
                    data = conn.recv(4096)
                    if not data:  # the client shut its end down: gone
                        self.closed += 1
                        return
                    seen += data
                except TimeoutError:
                    pass
                except OSError:  # reset: gone
                    self.closed += 1
                    return
                if self.trickle and b"\r\n\r\n" in seen:
                    try:
                        conn.sendall(b"x" if started else b"HTTP/1.1 200 OK\r\nX-Slow: ")
                    except OSError:
                        self.closed += 1
                        return
                    started = True

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        for thread in self.threads:
            thread.join(5)


@pytest.mark.parametrize("trickle", [False, True], ids=["silent", "trickling"])
def test_an_http_probe_ends_at_its_deadline_and_leaves_no_thread_or_connection(trickle):
    """httpx's sync client runs in a thread, and its timeouts are per operation: a server that
    never answers, or answers a byte at a time, would hold the request (its thread and its
    connection) long past the probe. The probe fails at its deadline, and the connection is
    shut down then: the server sees its client go and the thread ends, the server still up."""
    server = Silent(trickle=trickle)
    prober = Prober()  # kept open meanwhile, as the supervisor's is (closing it ends every request)
    try:
        health = checked({"type": "http", "url": server.url, "probe_timeout_ms": 300})["health"]
        assert tasks.run(prober.probe, health) == (False, "no answer within 300 ms")
        assert server.accepted == 1
        wait_for(lambda: server.closed == 1, timeout=10, what="the probe's connection to be closed")
        wait_for(lambda: not probe_threads(), timeout=10, what="the probe's thread to end")
    finally:
        tasks.run(prober.aclose)
        server.close()


IMPORTS_PROBE = """
import json, sys
from pathlib import Path
from devctl.pipeline.services import normalize_service
from devctl.procs import tasks
from devctl.supervisor.health import Prober

def check(health):
    return normalize_service({"name": "s", "command": ["x"], "health": health}, "p", Path("/"))["health"]

def loaded():
    return sorted({m.split(".")[0] for m in sys.modules} & {"anyio", "asyncio", "httpx", "sniffio", "trio"})

prober = Prober()
found = {"import": loaded()}
tasks.run(prober.probe, check({"type": "tcp", "address": sys.argv[1]}))
found["tcp"] = loaded()
tasks.run(prober.probe, check({"type": "http", "url": f"http://{sys.argv[1]}/"}))
tasks.run(prober.aclose)
found["http"] = loaded()
print(json.dumps(found))
"""


def test_the_prober_runs_without_asyncio_and_imports_httpx_only_for_an_http_check():
    """The supervisor's loop is not asyncio's (issue 17: importing anyio's asyncio backend cost
    the supervisor 100-150 ms of CPU as `up` starts). httpx comes with the first http check;
    its transport, httpcore, imports anyio's top-level package (not its asyncio backend)."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # refused: the probes' results do not matter here
        res = subprocess.run([sys.executable, "-c", IMPORTS_PROBE, f"127.0.0.1:{closed.getsockname()[1]}"],
                             capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    found = json.loads(res.stdout)
    assert found["import"] == found["tcp"] == []
    assert "httpx" in found["http"] and "asyncio" not in found["http"]
