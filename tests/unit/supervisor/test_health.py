"""How probes are paced while a service starts, and that a loopback tcp probe is cheap (the
probes against real services and processes: tests/integration/test_health_probes.py)."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

from devctl.pipeline.health_spec import HealthCheck
from devctl.pipeline.services import normalize_service
from devctl.procs import tasks
from devctl.supervisor import health
from devctl.supervisor.health import STARTING_CAP_S, starting_delay
from devctl.supervisor.render import plan_lines


def check(**fields):
    return normalize_service({"name": "s", "command": ["x"], "health": fields}, "p", Path("/r"))["health"]


def test_fast_while_a_service_starts_quickly_then_backing_off_for_a_slow_one():
    tcp = check(type="tcp", address="h:1")
    # Anything up within half a second is noticed within 25 ms of its port opening.
    assert [starting_delay(tcp, t) for t in (0.0, 0.2, 0.5)] == [0.025, 0.025, 0.025]
    gaps = [starting_delay(tcp, t) for t in (1, 2, 5, 10, 60, 3600)]
    assert gaps == sorted(gaps) and gaps[0] == 0.05 and gaps[-1] == STARTING_CAP_S
    # A fork and exec per probe costs more than a refused connect: exec starts slower.
    assert starting_delay(check(type="exec", command=["x"]), 0) == 0.1
    # A watched port wakes its probe when it opens (supervisor/listen_watch.py): the probes
    # themselves are only a safety net then, every 50 ms, still backing off and capped.
    http = check(type="http", url="http://127.0.0.1:8000/")
    assert [starting_delay(http, t, watched=True) for t in (0.0, 0.5, 1.0)] == [0.05, 0.05, 0.05]
    assert starting_delay(http, 3600, watched=True) == STARTING_CAP_S
    assert starting_delay(check(type="exec", command=["x"]), 0, watched=True) == 0.1


def test_a_short_period_is_never_exceeded_while_starting():
    assert starting_delay(check(type="tcp", address="h:1", period_ms=10), 0) == 0.01
    assert starting_delay(check(type="exec", command=["x"], period_ms=300), 100) == 0.3


def test_the_dry_run_shows_the_knobs():
    svc = normalize_service({"name": "db", "command": ["postgres"], "health": {
        "type": "exec", "command": ["pg_isready", "-q"], "period_ms": 500, "restart_on_unhealthy": True}},
        "p", Path("/r"))
    assert "  health: exec pg_isready -q (ready within 30 s; then every 0.5 s, unhealthy after 3 failures, " \
           "then restarted)" in plan_lines([svc])


def _tcp(port: int) -> HealthCheck:
    return {"type": "tcp", "address": f"127.0.0.1:{port}", "timeout_ms": 30_000, "period_ms": 2000,
            "probe_timeout_ms": 200, "initial_delay_ms": 0, "failure_threshold": 3, "success_threshold": 1,
            "restart_on_unhealthy": False}  # type: ignore[typeddict-item]


def test_a_loopback_probe_is_decided_without_a_trip_through_the_event_loop(monkeypatch):
    """50 starting services probed every 25 ms: each refused probe must be cheap. On loopback the
    answer is there when `connect` returns, so the probe never waits on the loop for it."""

    async def never(_sock: object) -> None:
        raise AssertionError("waited on the event loop for a loopback connect")

    monkeypatch.setattr(health.tasks, "wait_writable", never)
    with socket.socket() as listening, socket.socket() as closed:
        listening.bind(("127.0.0.1", 0))
        listening.listen(8)
        closed.bind(("127.0.0.1", 0))  # bound, never listening: refused
        up, down = listening.getsockname()[1], closed.getsockname()[1]

        async def main() -> list[tuple[bool, str]]:
            prober = health.Prober()
            return [await prober.probe(_tcp(port)) for port in (down, up, down, up)]

        assert tasks.run(main) == [(False, "connection refused"), (True, "")] * 2


class _Wrapped(Exception):
    pass


def _chained(root: BaseException, *layers: type[Exception]) -> BaseException:
    """`root` wrapped as httpx wraps a transport error: each layer `raise ... from` the one below."""
    exc = root
    for layer in layers:
        outer = layer(str(exc))
        outer.__cause__ = exc
        exc = outer
    return exc


def test_an_http_error_is_said_in_the_words_of_the_os_error_at_its_root():
    import ssl

    refused = _chained(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), _Wrapped, _Wrapped)
    assert health._http_error(refused) == "connection refused"
    unknown = _chained(socket.gaierror(-2, "Name or service not known"), _Wrapped, _Wrapped)
    assert health._http_error(unknown) == "name or service not known"
    tls = _chained(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), _Wrapped, _Wrapped)
    assert health._http_error(tls) == "[SSL: WRONG_VERSION_NUMBER] wrong version number"  # as TLS says it
    assert health._http_error(_Wrapped("Server disconnected without sending a response.")) == \
        "Server disconnected without sending a response."
    assert health._http_error(_Wrapped()) == "_Wrapped"
