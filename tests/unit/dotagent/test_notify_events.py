"""Supervisor events → dotagent events (the pure `EventMapper`)."""

from devctl.dotagent.notify import DECIDE_AFTER_S, EventMapper


def feed(mapper, events, now=0.0):
    out = []
    for ev in events:
        out += mapper.feed(ev, now)
    return out


def names(pairs):
    return [e for e, _ in pairs]


def test_crash_restart_ready_is_failed_then_recovered():
    m = EventMapper(agent="repo")
    out = feed(
        m,
        [
            {"service": "web", "event": "started", "pid": 1},
            {"service": "web", "event": "ready"},
            {"service": "web", "event": "exited", "pid": 1, "signal": "SIGKILL"},
            {"service": "web", "event": "restarting", "attempt": 1, "delay_s": 1.0},
            {"service": "web", "event": "started", "pid": 2},
            {"service": "web", "event": "ready"},
        ],
    )
    assert names(out) == ["attempt_failed", "recovered"]
    assert "web was killed by SIGKILL" in out[0][1] and out[0][1].startswith("repo:")
    # a service without a health check is never "healthy": the message must not claim so
    assert out[1][1] == "repo: service web is ready again"


def test_exit_followed_by_stopped_is_a_stop():
    m = EventMapper()
    out = feed(
        m, [{"service": "web", "event": "exited", "exit_code": 0}, {"service": "web", "event": "stopped"}]
    )
    out += m.expire(100.0)
    assert out == []


def test_explicit_stop_requested_flag_decides_at_once():
    m = EventMapper()
    assert feed(m, [{"service": "a", "event": "exited", "exit_code": 143, "stop_requested": True}]) == []
    assert m.pending == {}
    out = feed(m, [{"service": "a", "event": "exited", "exit_code": 1, "stop_requested": False}])
    assert names(out) == ["attempt_failed"]


def test_lone_exit_becomes_a_crash_after_the_grace():
    m = EventMapper()
    assert feed(m, [{"service": "w", "event": "exited", "exit_code": 3}], now=10.0) == []
    assert m.expire(10.0 + DECIDE_AFTER_S / 2) == []
    out = m.expire(10.0 + DECIDE_AFTER_S)
    assert names(out) == ["attempt_failed"] and "exited with code 3" in out[0][1]


def test_gave_up_and_up_done():
    m = EventMapper()
    out = feed(
        m,
        [
            {"service": "w", "event": "exited", "exit_code": 1},
            {"service": "w", "event": "gave_up", "attempts": 3, "error": "exited with code 1"},
            {"service": None, "event": "up_done"},
        ],
    )
    assert names(out) == ["attempt_failed", "given_up", "success"]
    assert "after 3 restart(s)" in out[1][1]


def test_unhealthy_then_recovered():
    m = EventMapper()
    out = feed(
        m,
        [
            {"service": "db", "event": "ready"},
            {"service": "db", "event": "unhealthy", "error": "refused"},
            {"service": "db", "event": "recovered"},
            {"service": "db", "event": "ready"},
        ],
    )
    assert names(out) == ["recovered"]


def test_ready_without_failure_is_not_recovered():
    m = EventMapper()
    assert feed(m, [{"service": "a", "event": "started"}, {"service": "a", "event": "ready"}]) == []


def test_supervisor_stopped_drops_undecided_exits():
    m = EventMapper()
    feed(
        m,
        [
            {"service": "a", "event": "exited", "exit_code": 0},
            {"service": None, "event": "supervisor_stopped"},
        ],
    )
    assert m.expire(1e9) == []
