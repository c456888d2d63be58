"""TCP, HTTP and exec health probes, each under a hard deadline; and when to probe next.

The probes run on the supervisor's loop (`devctl.procs.tasks`: no asyncio, no anyio), and every
probe is wrapped in `tasks.move_on_after`, which bounds the whole probe
(`health.probe_timeout_ms`), not each socket operation: a server that trickles bytes cannot
hold a probe past its deadline.

A TCP probe is a non-blocking connect on the loop; a host name (not an IP) is resolved first,
in a worker thread (getaddrinfo blocks), and its addresses are tried in turn.

An HTTP probe is a request of httpx's sync client (its async client needs asyncio) in a worker
thread of its own, which hands the result back to the loop (`Loop.call_soon_threadsafe`). The
deadline is the loop's: past it the probe fails at once, the request's connection is shut down
so the thread ends now, not at httpx's next timeout, and whatever the thread still returns is
dropped. The client is created once per supervisor (not per probe) and keeps no idle
connections: a single-threaded dev server must not be blocked by a parked keep-alive socket.
Proxies from the environment are ignored: a health check is local.

An exec probe (`pg_isready`, `redis-cli ping`) is a child process of the supervisor in its own
process group, run without a shell in the service's cwd and environment. It owns its group:
past its deadline, or once it exited, whatever is left of the group is SIGKILLed (devctl.procs)
and the probe is reaped, so no probe process outlives its probe. Its output goes to an anonymous
temporary file (no pipe to drain, no pipe a helper could hold open); the last line is the error.

What is probed, and which results count, is decided by the plan (devctl.pipeline.health_spec)
and the state machine (devctl.supervisor.states); this module only runs probes and paces them.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import select
import signal
import socket
import subprocess
from collections.abc import Mapping

from devctl.pipeline.health_spec import HealthCheck
from devctl.procs import tasks
from devctl.supervisor.plan import health_target

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: imported while `up` plans (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any

#: The name of a probe's worker thread (an HTTP request, a name lookup).
PROBE_THREAD = "devctl-probe"

#: The shortest gap between probes while a service is starting. (Once it is ready: the plan's
#: `health.period_ms`; each probe's deadline: `health.probe_timeout_ms`.)
STARTING_INTERVAL_S = 0.025
#: An exec probe costs a fork and an exec (milliseconds of CPU), not a refused connect: while
#: starting it runs at most every 100 ms.
EXEC_STARTING_INTERVAL_S = 0.1
#: While the kernel is watched for the service's port (supervisor/listen_watch.py), the probe
#: is woken when the port opens; its own pace is then only the safety net for a port the watch
#: cannot see (another network namespace), and each refused probe (~60 µs) is CPU the starting
#: services need: at most every 50 ms, which still notices readiness within 50 ms.
WATCHED_STARTING_INTERVAL_S = 0.05
#: While starting, the gap between probes grows with the time already spent starting (this
#: share of it), up to the cap: readiness is noticed within ~5 % of the start-up time (25 ms for
#: anything up within 0.5 s), and 50 slow starters do not take the CPU they need to start.
STARTING_BACKOFF = 0.05
STARTING_CAP_S = 1.0
#: How much of an exec probe's output is read back for its error message.
_OUTPUT_TAIL = 2048


def starting_delay(health: HealthCheck, elapsed_s: float, *, watched: bool = False) -> float:
    """The gap before the next probe of a service that has been starting for `elapsed_s`
    (`watched`: its port is watched, and the probe woken when it opens)."""
    if health["type"] == "exec":
        base = EXEC_STARTING_INTERVAL_S
    else:
        base = WATCHED_STARTING_INTERVAL_S if watched else STARTING_INTERVAL_S
    period = health["period_ms"] / 1000
    return min(period, STARTING_CAP_S, max(base, elapsed_s * STARTING_BACKOFF))


class Prober:
    """Runs probes; owns the shared HTTP client (created lazily: no httpx import without http checks)."""

    def __init__(self) -> None:
        self._client: Any = None
        #: Pids of exec probes in flight: the supervisor's orphan sweep must not reap them.
        self.pids: set[int] = set()
        #: tcp `address` → (family, (ip, port)) for addresses that are IPs (not host names).
        self._addresses: dict[str, tuple[int, tuple[str, int]]] = {}

    async def probe(self, health: HealthCheck, env: Mapping[str, str] | None = None,
                    cwd: str | None = None) -> tuple[bool, str]:
        """(ok, error). Never raises for a failed probe; never takes longer than the deadline
        (plus, for exec, the moment it takes to kill and reap the probe's group).
        `env` and `cwd` are the service's, for an exec probe."""
        deadline = health["probe_timeout_ms"] / 1000
        result: tuple[bool, str] = (False, _no_answer(health))
        if health["type"] == "exec":
            return await self._exec(health, deadline, env, cwd)
        if health["type"] == "http" and self._client is None:
            self._make_client()  # importing httpx is not part of the probe's time
        with tasks.move_on_after(deadline):
            result = await (self._http(health, deadline) if health["type"] == "http" else self._tcp(health))
        return result

    async def _tcp(self, health: HealthCheck) -> tuple[bool, str]:
        address = str(health.get("address"))
        known = self._addresses.get(address)
        if known is not None:  # parsed at the first probe: a starting service is probed often
            return await _connect(*known)
        target = health_target(health)
        if target is None:
            return False, f"bad address {health.get('address')!r}"
        try:
            family = socket.AF_INET6 if ipaddress.ip_address(target[0]).version == 6 else socket.AF_INET
            self._addresses[address] = (family, target)
        except ValueError:  # a host name: resolved at each probe (it may move), then connected
            return await _connect_name(*target)
        return await _connect(family, target)

    def _make_client(self) -> None:
        import httpx

        self._client = httpx.Client(
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"Connection": "close", "User-Agent": "devctl-health"},
        )

    async def _http(self, health: HealthCheck, deadline: float) -> tuple[bool, str]:
        if self._client is None:
            self._make_client()
        request = _Request(self._client, health, deadline)
        return await tasks.run_sync_in_thread(request.run, abandon_on_cancel=True, on_abandon=request.abandon,
                                              name=PROBE_THREAD)

    async def _exec(self, health: HealthCheck, deadline: float, env: Mapping[str, str] | None,
                    cwd: str | None) -> tuple[bool, str]:
        import tempfile

        from devctl.procs.exits import describe_exit
        from devctl.procs.groups import stop_group
        from devctl.procs.start import popen

        argv = health.get("command") or []
        with tempfile.TemporaryFile() as out:
            try:
                proc = popen(argv, cwd=cwd, env=dict(env) if env is not None else None,
                             stdin=subprocess.DEVNULL, stdout=out, stderr=out, close_fds=True)
            except OSError as exc:
                return False, f"{argv[0]}: {exc.strerror or exc}"
            self.pids.add(proc.pid)
            try:
                with tasks.move_on_after(deadline) as scope:
                    await tasks.wait_exit(proc)
            finally:
                # Timed out, cancelled (the service exited) or done: the probe's group goes,
                # leader included, and the leader is reaped: nothing of it is left behind.
                with tasks.CancelScope(shield=True):
                    await stop_group(proc.pid, sig=signal.SIGKILL, grace=0.0)
                    if proc.returncode is None:  # (reaped already: its pid may be another's now)
                        await tasks.wait_exit(proc)
                    self.pids.discard(proc.pid)
            if scope.cancelled_caught:
                return False, f"{_no_answer(health)} (killed)"
            if proc.returncode == 0:
                return True, ""
            tail = _last_line(out)
            return False, describe_exit(proc.returncode) + (f": {tail}" if tail else "")

    async def aclose(self) -> None:
        """Closes the HTTP client. (A request still running past its deadline ends with an error
        its thread drops.)"""
        if self._client is not None:
            self._client.close()
            self._client = None


class _Request:
    """One HTTP probe, run in a worker thread (`run`). `abandon` comes from the loop once the
    deadline passed: it shuts the request's connection down, so the thread's blocking read
    returns now and the thread ends, instead of holding a connection to the server (and a
    thread) until httpx's own timeout, or for as long as a trickling server keeps it alive."""

    def __init__(self, client: Any, health: HealthCheck, deadline: float) -> None:
        self.client = client
        self.health = health
        self.deadline = deadline
        self.sock: socket.socket | None = None
        self.abandoned = False

    def run(self) -> tuple[bool, str]:
        import httpx

        health = self.health
        try:
            # httpx's timeout applies to each operation; the loop's deadline bounds the whole.
            resp = self.client.get(health["url"], headers=health.get("headers") or None,
                                   timeout=self.deadline, extensions={"trace": self._trace})
        except httpx.TimeoutException:  # (the same deadline as the loop's: whichever comes first)
            return False, _no_answer(health)
        except httpx.HTTPError as exc:
            return False, _http_error(exc)
        low, high = health.get("status") or (200, 399)
        if low <= resp.status_code <= high:
            return True, ""
        return False, f"HTTP {resp.status_code}"

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook (in the worker thread): notes the connection's socket."""
        if event.endswith(("connect_tcp.complete", "start_tls.complete")):
            stream = info.get("return_value")
            self.sock = stream.get_extra_info("socket") if stream is not None else None
            if self.abandoned:  # (abandoned while connecting: `abandon` saw no socket yet)
                _shutdown(self.sock)

    def abandon(self) -> None:
        """On the loop's thread. Either this sees the socket or `_trace` sees the flag (the GIL
        orders the two), so a connection made just after the deadline is shut down too."""
        self.abandoned = True
        _shutdown(self.sock)


def _shutdown(sock: socket.socket | None) -> None:
    """Shut a socket another thread may be blocked on down (a `close` would not wake it). For a
    TLS socket the plain socket's `shutdown` is called: the TLS one would drop its SSL object
    under the reading thread's feet."""
    if sock is not None:
        # (OSError: closed already, or no longer connected: nothing left to stop)
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _no_answer(health: HealthCheck) -> str:
    return f"no answer within {health['probe_timeout_ms']} ms"


def _http_error(exc: BaseException) -> str:
    """An HTTP probe's error in words: the OS's (`connection refused`, `name or service not
    known`) when one is at the root of it; a TLS error or an HTTP one as httpx says it. (httpx
    chains its error from httpcore's, which chains from the OSError: the root is a few causes
    down.)"""
    import ssl

    cause = exc.__cause__ or exc.__context__
    for _ in range(5):  # a short chain: bounded, should anything ever make it a loop
        if cause is None or isinstance(cause, OSError):
            break
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, OSError) and not isinstance(cause, ssl.SSLError):
        return _os_error(cause)
    return str(exc) or type(exc).__name__


def _last_line(out: Any) -> str:
    """The last non-blank line the probe wrote (stdout and stderr share the file), cut to 200."""
    size = out.seek(0, os.SEEK_END)
    out.seek(max(0, size - _OUTPUT_TAIL))
    lines = [ln.strip() for ln in out.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1][:200] if lines else ""


def _os_error(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


async def _connect(family: int, address: tuple[Any, ...]) -> tuple[bool, str]:
    """A non-blocking connect to an IP address, on the loop. The common case (127.0.0.1, probed
    every 25 ms while a service starts) needs no name lookup, and no worker thread for one.

    On loopback the kernel has the answer (refused, or connected) by the time `connect`
    returns, although it says "in progress": a zero-timeout `select` sees it, and the probe
    skips registering with the loop and a trip through it (with anyio, a refused probe:
    143 → 72 µs of CPU, bench/bench_supervisor.py). A remote or slow address still waits on
    the loop."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        err = sock.connect_ex(address)
        if err in (errno.EINPROGRESS, errno.EAGAIN):
            if not select.select([], [sock], [], 0)[1]:
                await tasks.wait_writable(sock)
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    finally:
        sock.close()
    return (False, os.strerror(err).lower()) if err else (True, "")


async def _connect_name(host: str, port: int) -> tuple[bool, str]:
    """Resolve `host` (getaddrinfo blocks: in a worker thread, under the probe's deadline) and
    connect to its addresses in turn, as anyio's `connect_tcp` did, with its wording: a name
    none of whose addresses answers says "All connection attempts failed"."""
    try:
        infos = await tasks.run_sync_in_thread(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM,
                                                   abandon_on_cancel=True, name=PROBE_THREAD)
    except OSError as exc:
        return False, _os_error(exc)
    for family, _type, _proto, _name, address in infos:
        if (await _connect(family, address))[0]:
            return True, ""
    return False, "All connection attempts failed"
