"""`watch` with `records` (supervisor side) and `up.wait` following it (CLI side), without processes.

`up` used to read state.json after every event it was sent, and to look at every service after
each: with 50 services that was most of the CLI's CPU while it waited (issue 17). The records
now come with the events; these tests pin both halves of that contract.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devctl.errors import DevctlError
from devctl.procs import tasks
from devctl.supervisor import client
from devctl.supervisor import up as up_core
from devctl.supervisor.paths import Paths


def _spec(name: str, *deps: str) -> dict[str, Any]:
    return {"name": name, "command": ["run"], "cwd": "/repo", "env": {}, "health": None,
            "depends_on": list(deps), "restart": "on-failure", "max_restarts": 5,
            "stop_signal": "SIGTERM", "stop_timeout_ms": 10_000, "plugin": "p"}


# ---- the supervisor's half: handlers._watch --------------------------------------------------


def _watch_messages(tmp_path: Path, request: dict[str, Any]) -> list[dict[str, Any]]:
    """What `watch` sends for one service event and one of the supervisor's own."""
    from devctl.supervisor import states as sm
    from devctl.supervisor.events import EventLog
    from devctl.supervisor.handlers import make_handler
    from devctl.supervisor.runtime import Supervisor

    sent: list[dict[str, Any]] = []

    async def main() -> None:
        paths = Paths(tmp_path)
        (tmp_path / ".devctl").mkdir()
        sup = Supervisor(paths, [_spec("api"), _spec("web", "api")], EventLog(paths.events))  # type: ignore[list-item]
        handler = make_handler(sup)
        got = tasks.Event()

        async def send(msg: dict[str, Any]) -> None:
            sent.append(msg)
            if len(sent) == 3:
                got.set()

        async with tasks.create_task_group() as tg:
            tg.start_soon(handler, request, send)
            with tasks.fail_after(5):
                while not sent:  # the snapshot: the handler has subscribed
                    await tasks.sleep(0)
            sup.services["api"].st = sm.SvcState(state="healthy")
            sup.events.emit("api", "ready")
            sup.events.emit(None, "up_done", services=2)
            with tasks.fail_after(5):
                await got.wait()
            tg.cancel_scope.cancel()
        sup.events.close()

    tasks.run(main)
    return sent


def test_watch_with_records_sends_each_events_service_as_it_is_now(tmp_path):
    snapshot, ready, done = _watch_messages(tmp_path, {"op": "watch", "records": True})
    assert [s["name"] for s in snapshot["state"]["services"]] == ["api", "web"]
    assert ready["event"]["event"] == "ready"
    assert ready["record"]["name"] == "api" and ready["record"]["state"] == "healthy"
    assert ready["record"].keys() == snapshot["state"]["services"][0].keys()  # a whole record
    assert done["event"]["event"] == "up_done" and "record" not in done  # no service, no record


def test_watch_without_records_sends_the_events_alone(tmp_path):
    _snapshot, ready, done = _watch_messages(tmp_path, {"op": "watch"})
    assert "record" not in ready and "record" not in done


# ---- the CLI's half: up.wait -----------------------------------------------------------------


def _rec(name: str, state: str, *deps: str, pid: int | None = None) -> dict[str, Any]:
    return {"name": name, "state": state, "depends_on": list(deps), "pid": pid}


def _event(service: str | None, event: str, record: dict[str, Any] | None = None) -> dict[str, Any]:
    msg: dict[str, Any] = {"ok": True, "event": {"ts": 0.0, "service": service, "event": event}}
    if record is not None:
        msg["record"] = record
    return msg


@pytest.fixture
def stream(monkeypatch):
    """Feed `up.wait` a scripted watch stream; state.json must not be read unless allowed."""
    sent: list[dict[str, Any]] = []
    asked: dict[str, Any] = {}
    reads: list[int] = []

    def fake_watch(_paths: Paths, *, records: bool = False):
        asked["records"] = records
        yield from sent

    def no_read(_path: Path) -> Any:
        reads.append(1)
        raise AssertionError("state.json read although the event carried its record")

    monkeypatch.setattr(client, "watch", fake_watch)
    monkeypatch.setattr(up_core, "read_state", no_read)
    return sent, asked, reads


def _snapshot(*records: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "state": {"services": list(records)}}


def test_wait_follows_the_records_that_come_with_the_events(stream):
    sent, asked, _reads = stream
    sent += [_snapshot(_rec("db", "starting"), _rec("api", "waiting", "db")),
             _event("db", "started", _rec("db", "starting", pid=10)),
             _event("db", "ready", _rec("db", "healthy", pid=10)),
             _event(None, "supervisor_note"),
             _event("api", "started", _rec("api", "starting", "db", pid=11)),
             _event("api", "ready", _rec("api", "healthy", "db", pid=11))]
    seen: list[dict[str, str]] = []
    result = up_core.wait(Paths(Path("/repo")), ["db", "api"],
                          lambda recs: seen.append({n: r["state"] for n, r in recs.items()}))
    assert result is None and asked["records"] is True
    # once for the snapshot and once per service event; the supervisor's own event changes nothing
    assert seen == [{"db": "starting", "api": "waiting"}, {"db": "starting", "api": "waiting"},
                    {"db": "healthy", "api": "waiting"}, {"db": "healthy", "api": "starting"},
                    {"db": "healthy", "api": "healthy"}]


def test_wait_returns_the_service_that_failed_and_stops_reading(stream):
    sent, _asked, _reads = stream
    failed = {**_rec("db", "failed"), "error": "exited with code 1"}
    sent += [_snapshot(_rec("db", "starting"), _rec("api", "waiting", "db")),
             _event("db", "exited", failed),
             _event("api", "ready", _rec("api", "healthy"))]  # never reached
    assert up_core.wait(Paths(Path("/repo")), ["db", "api"], lambda _r: None) == failed


def test_wait_for_started_waits_for_every_root_to_have_a_pid(stream):
    sent, _asked, _reads = stream
    sent += [_snapshot(_rec("db", "starting"), _rec("q", "starting"), _rec("api", "waiting", "db")),
             _event("db", "started", _rec("db", "starting", pid=10))]
    paths = Paths(Path("/repo"))
    with pytest.raises(DevctlError, match="stopped while services were starting"):
        up_core.wait(paths, ["db", "q", "api"], lambda _r: None, started_only=True)  # q has no pid
    sent.append(_event("q", "started", _rec("q", "starting", pid=12)))
    assert up_core.wait(paths, ["db", "q", "api"], lambda _r: None, started_only=True) is None


def test_a_service_that_goes_unready_again_is_waited_for_again(stream):
    sent, _asked, _reads = stream
    sent += [_snapshot(_rec("db", "starting"), _rec("q", "starting")),
             _event("db", "ready", _rec("db", "healthy")),
             _event("db", "restarting", _rec("db", "backoff")),
             _event("q", "ready", _rec("q", "running"))]
    paths = Paths(Path("/repo"))
    with pytest.raises(DevctlError, match="stopped while services were starting"):
        up_core.wait(paths, ["db", "q"], lambda _r: None)  # db is not ready at the end
    sent.append(_event("db", "ready", _rec("db", "healthy")))
    assert up_core.wait(paths, ["db", "q"], lambda _r: None) is None


def test_wait_reads_the_file_when_the_supervisor_sends_no_records(stream, monkeypatch):
    """A supervisor started by an older devctl (an `up` applying to it) ignores `records`."""
    sent, _asked, reads = stream
    states = iter([{"services": [_rec("db", "healthy")]}])
    monkeypatch.setattr(up_core, "read_state", lambda _p: (reads.append(1), next(states))[1])
    sent += [_snapshot(_rec("db", "starting")), _event("db", "ready")]
    assert up_core.wait(Paths(Path("/repo")), ["db"], lambda _r: None) is None
    assert reads == [1]


def test_wait_without_state_after_an_event_means_the_supervisor_stopped(stream, monkeypatch):
    sent, _asked, _reads = stream
    monkeypatch.setattr(up_core, "read_state", lambda _p: None)
    sent += [_snapshot(_rec("db", "starting")), _event("db", "stopped")]
    with pytest.raises(DevctlError, match="the supervisor stopped"):
        up_core.wait(Paths(Path("/repo")), ["db"], lambda _r: None)

