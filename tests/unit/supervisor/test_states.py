"""The restart/backoff/health policy, driven with scripted inputs and an injected clock."""

from __future__ import annotations

import subprocess
import sys

import pytest

from devctl.supervisor import states as sm

POLICY = sm.Policy(restart="on-failure", max_restarts=5, has_health=True)


def run(inputs, policy=POLICY, state=None, t=0.0):
    """Feed (time, input) pairs; return the final state, all actions and all event names."""
    s = state or sm.SvcState()
    actions, events = [], []
    for now, inp in inputs:
        out = sm.transition(s, inp, policy, now)
        s = out.state
        actions += out.actions
        events += out.events
    return s, actions, events


def ready(policy=POLICY):
    s, _, _ = run([(0, sm.Start()), (0, sm.Spawned(10)), (0.1, sm.Ready())], policy)
    return s


def test_start_spawns_and_ready_depends_on_health():
    s, actions, events = run([(0, sm.Start()), (0, sm.Spawned(10)), (0.2, sm.Ready())])
    assert actions == [sm.CANCEL_RESTART, sm.SPAWN]
    assert [e["event"] for e in events] == ["started", "ready"]
    assert s.state == "healthy" and s.ever_ready
    s2 = ready(sm.Policy(has_health=False))
    assert s2.state == "running"


def test_exit_before_ready_fails_without_restart():
    s, actions, events = run([(0, sm.Start()), (0, sm.Spawned(1)), (0.1, sm.Exited(1, code=3))])
    assert s.state == "failed" and s.error == "exited with code 3"
    assert not any(a.kind == "schedule_restart" for a in actions)
    assert events[-1] == {"event": "exited", "pid": 1, "exit_code": 3}


def test_backoff_sequence_then_give_up():
    s = ready()
    delays = []
    now = 1.0
    for _ in range(5):
        out = sm.transition(s, sm.Exited(1, signal="SIGKILL"), POLICY, now)
        s = out.state
        restart = [a for a in out.actions if a.kind == "schedule_restart"]
        delays.append(restart[0].delay_s)
        assert out.events[-1]["event"] == "restarting"
        assert out.events[-1]["attempt"] == len(delays)
        s = sm.transition(s, sm.BackoffElapsed(), POLICY, now).state
        assert s.state == "starting"
        s = sm.transition(s, sm.Spawned(2), POLICY, now).state
        now += 1
    assert delays == [1, 2, 4, 8, 16]
    out = sm.transition(s, sm.Exited(2, code=1), POLICY, now)
    assert out.state.state == "failed"
    assert [e["event"] for e in out.events] == ["exited", "gave_up"]
    assert "gave up after 5 restarts" in out.state.error
    assert out.state.total_restarts == 5


def test_count_resets_after_60s_healthy():
    policy = sm.Policy(max_restarts=1, has_health=True)
    s = ready(policy)
    s = sm.transition(s, sm.Exited(1, code=1), policy, 10).state
    assert s.state == "backoff" and s.restarts == 1
    s = sm.transition(s, sm.BackoffElapsed(), policy, 11).state
    s = sm.transition(s, sm.Ready(), policy, 12).state
    # Short spell: the next crash gives up (max 1).
    short = sm.transition(s, sm.Exited(1, code=1), policy, 30).state
    assert short.state == "failed"
    # Long healthy spell (>= 60 s): forgiven, restarts again from attempt 1.
    long = sm.transition(s, sm.Exited(1, code=1), policy, 12 + 61)
    assert long.state.state == "backoff" and long.state.restarts == 1
    assert long.actions[-1].delay_s == 1


def test_restart_policies():
    for policy_name, code, expected in [
        ("no", 1, "failed"), ("no", 0, "exited"), ("on-failure", 0, "exited"),
        ("on-failure", 1, "backoff"), ("always", 0, "backoff"),
    ]:
        policy = sm.Policy(restart=policy_name, has_health=False)
        s = sm.transition(ready(policy), sm.Exited(1, code=code), policy, 5).state
        assert s.state == expected, (policy_name, code)


def test_unhealthy_after_three_failures_then_recovered():
    s = ready()
    events = []
    for i in range(3):
        out = sm.transition(s, sm.Probe(False, "connection refused"), POLICY, 1 + i)
        s = out.state
        events += out.events
    assert s.state == "unhealthy"
    assert events == [{"event": "unhealthy", "error": "connection refused"}]
    out = sm.transition(s, sm.Probe(True), POLICY, 10)
    assert out.state.state == "healthy" and out.events == [{"event": "recovered"}]


def test_a_pass_resets_the_failure_count():
    s = ready()
    for ok in (False, False, True, False, False):
        s = sm.transition(s, sm.Probe(ok), POLICY, 1).state
    assert s.state == "healthy"


def test_not_ready_in_time_kills_and_fails_with_reason():
    s, actions, _ = run([(0, sm.Start()), (0, sm.Spawned(1)), (30, sm.NotReadyInTime(30))])
    assert actions[-1] == sm.KILL
    out = sm.transition(s, sm.Exited(1, signal="SIGTERM"), POLICY, 30.1)
    assert out.state.state == "failed" and out.state.error == "not ready within 30 s"
    assert out.events[0]["error"] == "not ready within 30 s"


def test_stop_waits_for_group_then_stopped():
    s = ready()
    out = sm.transition(s, sm.Stop(), POLICY, 5)
    assert out.state.state == "stopping" and out.actions == [sm.KILL]
    out = sm.transition(out.state, sm.Exited(1, code=0), POLICY, 5.1)
    assert out.state.state == "stopping"  # the group may still have members
    assert out.events[0]["stop_requested"] is True
    assert not any(a.kind == "schedule_restart" for a in out.actions)
    out = sm.transition(out.state, sm.StopDone(), POLICY, 5.2)
    assert out.state.state == "stopped" and out.events == [{"event": "stopped"}]


def test_stop_during_backoff_cancels_restart():
    s = sm.transition(ready(), sm.Exited(1, code=1), POLICY, 5).state
    out = sm.transition(s, sm.Stop(), POLICY, 5.5)
    assert out.state.state == "stopped" and sm.CANCEL_RESTART in out.actions
    assert sm.transition(out.state, sm.BackoffElapsed(), POLICY, 6).actions == []


def test_enqueue_then_start_resets_attempts_but_keeps_total():
    s = sm.transition(ready(), sm.Exited(1, code=1), POLICY, 5).state
    s = sm.transition(s, sm.Stop(), POLICY, 5).state
    s = sm.transition(s, sm.Enqueue(), POLICY, 6).state
    assert s.state == "waiting" and s.restarts == 0 and s.total_restarts == 1
    out = sm.transition(s, sm.Start(), POLICY, 6)
    assert out.state.state == "starting" and sm.SPAWN in out.actions


def test_start_is_ignored_while_live():
    s = ready()
    assert sm.transition(s, sm.Start(), POLICY, 1).actions == []
    stopping = sm.transition(s, sm.Stop(), POLICY, 1).state
    assert sm.transition(stopping, sm.Start(), POLICY, 1).actions == []


# ---- probe thresholds and liveness (health.failure_threshold / success_threshold /
# restart_on_unhealthy) ----------------------------------------------------------------------


def starting(policy=POLICY):
    s, _, _ = run([(0, sm.Start()), (0, sm.Spawned(10))], policy)
    return s


def probes(s, results, policy=POLICY, now=1.0):
    """Feed one Probe per result; return the final state, actions and events."""
    return run([(now, sm.Probe(ok, "" if ok else "connection refused")) for ok in results], policy, s)


def test_policy_of_a_spec_takes_the_health_knobs():
    health = {"type": "tcp", "failure_threshold": 7, "success_threshold": 2, "restart_on_unhealthy": True}
    spec = {"restart": "no", "max_restarts": 2, "health": health}
    assert sm.policy_of(spec) == sm.Policy("no", 2, True, 7, 2, True)
    assert sm.policy_of({"restart": "always", "max_restarts": 5, "health": None}) == sm.Policy(
        "always", 5, False, sm.UNHEALTHY_AFTER, 1, False)


def test_a_passing_probe_makes_a_starting_service_ready():
    s, _, events = probes(starting(), [False, False, True])
    assert s.state == "healthy" and s.ever_ready and events == [{"event": "ready"}]


def test_failed_probes_while_starting_change_nothing():
    """No state change, so no state-file write for every 25 ms probe of a starting service."""
    s = starting()
    assert sm.transition(s, sm.Probe(False, "refused"), POLICY, 0.5).state is s


def test_success_threshold_needs_passes_in_a_row_to_become_ready_and_to_recover():
    policy = sm.Policy(has_health=True, success_threshold=3)
    s, _, _ = probes(starting(policy), [True, True, False, True, True], policy)
    assert s.state == "starting"  # the failure broke the run: 2 in a row
    s, _, events = probes(s, [True], policy)
    assert s.state == "healthy" and events == [{"event": "ready"}]
    s, _, _ = probes(s, [False] * 3, policy)
    assert s.state == "unhealthy"
    s, _, _ = probes(s, [True, True], policy)
    assert s.state == "unhealthy"
    s, _, events = probes(s, [True], policy)
    assert s.state == "healthy" and events == [{"event": "recovered"}]


def test_failure_threshold_sets_how_many_failures_make_it_unhealthy():
    policy = sm.Policy(has_health=True, failure_threshold=5)
    s, _, _ = probes(ready(policy), [False] * 4, policy)
    assert s.state == "healthy"
    s, actions, events = probes(s, [False], policy)
    assert s.state == "unhealthy" and actions == []  # default: reported, not restarted
    assert events == [{"event": "unhealthy", "error": "connection refused"}]
    one = sm.Policy(has_health=True, failure_threshold=1)
    assert probes(ready(one), [False], one)[0].state == "unhealthy"


def test_restart_on_unhealthy_kills_then_restarts_with_backoff_whatever_the_restart_policy():
    for restart in ("no", "on-failure", "always"):
        policy = sm.Policy(restart=restart, has_health=True, restart_on_unhealthy=True)
        s, actions, events = probes(ready(policy), [False] * 3, policy, now=5)
        assert s.state == "unhealthy" and actions == [sm.KILL], restart
        assert events == [{"event": "unhealthy", "error": "connection refused", "restart": True}]
        assert s.error == "unhealthy: connection refused"
        # Probes after the kill are moot: nothing changes until the process is gone.
        assert sm.transition(s, sm.Probe(True), policy, 5.1).state is s
        out = sm.transition(s, sm.Exited(10, code=0), policy, 5.2)  # even a clean exit
        assert out.state.state == "backoff" and out.state.restarts == 1, restart
        assert [e["event"] for e in out.events] == ["exited", "restarting"]
        assert out.events[0]["error"] == "unhealthy: connection refused"
        s = sm.transition(out.state, sm.BackoffElapsed(), policy, 7).state
        s = sm.transition(s, sm.Spawned(11), policy, 7).state
        assert (s.state, s.unhealthy_kill, s.error) == ("starting", False, "")


def test_unhealthy_restarts_count_towards_max_restarts_and_a_long_healthy_spell_resets_them():
    policy = sm.Policy(max_restarts=1, has_health=True, restart_on_unhealthy=True)
    s = ready(policy)
    s = probes(s, [False] * 3, policy, now=5)[0]
    s = sm.transition(s, sm.Exited(10, signal="SIGTERM"), policy, 5.1).state
    s = sm.transition(s, sm.BackoffElapsed(), policy, 6).state
    s = probes(sm.transition(s, sm.Spawned(11), policy, 6).state, [True], policy, now=6)[0]
    assert s.state == "healthy" and s.restarts == 1
    soon = probes(s, [False] * 3, policy, now=20)[0]
    out = sm.transition(soon, sm.Exited(11, signal="SIGTERM"), policy, 20.1)
    assert out.state.state == "failed" and "gave up after 1 restarts: unhealthy" in out.state.error
    later = probes(s, [False] * 3, policy, now=6 + 61)[0]  # healthy for more than 60 s first
    assert sm.transition(later, sm.Exited(11, signal="SIGTERM"), policy, 67.1).state.state == "backoff"


def test_a_stop_while_unhealthy_is_a_stop_not_a_restart():
    policy = sm.Policy(has_health=True, restart_on_unhealthy=True)
    s = probes(ready(policy), [False] * 3, policy)[0]
    s = sm.transition(s, sm.Stop(), policy, 2).state
    out = sm.transition(s, sm.Exited(10, signal="SIGTERM"), policy, 2.1)
    assert out.state.state == "stopping" and not any(a.kind == "schedule_restart" for a in out.actions)


def test_records_are_values_equal_by_class_and_fields_hashable_and_immutable():
    """What the runtime relies on (a service's state is a cache key of its state.json record,
    compared and hashed), as the frozen dataclasses these records replace behaved."""
    s = sm.SvcState(state="starting", restarts=1)
    assert s == sm.SvcState("starting", 1) and hash(s) == hash(sm.SvcState("starting", 1))
    assert s != sm.SvcState(state="starting", restarts=2)
    same = s  # `!=` on the very object is the runtime's common case (an input changed nothing)
    assert (s != same, s == same) == (False, True)
    assert (s != sm.SvcState("starting", 1), sm.Start() != sm.Enqueue()) == (False, True)
    assert sm.Ready() == sm.Ready() and sm.Ready() != sm.Stop()  # no field, still told apart by class
    assert sm.Exited(3) == sm.Exited(pid=3, code=None, signal=None) != sm.Spawned(3)
    assert {sm.Probe(True), sm.Probe(True), sm.Probe(False)} == {sm.Probe(True), sm.Probe(False)}
    assert repr(sm.Probe(False, "refused")) == "Probe(ok=False, error='refused')"
    assert repr(sm.Action("spawn")) == "Action(kind='spawn', delay_s=0.0)"
    with pytest.raises(AttributeError):
        s.state = "running"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del s.error  # type: ignore[misc]
    assert (s.state, s.restarts) == ("starting", 1)


def test_replace_copies_with_changes_and_rejects_an_unknown_field():
    s = sm.SvcState(state="starting", total_restarts=4, error="x")
    new = sm.replace(s, state="running", error="")
    assert (new.state, new.total_restarts, new.error) == ("running", 4, "")
    assert (s.state, s.error) == ("starting", "x")  # the original is untouched
    policy = sm.replace(sm.Policy(has_health=True), max_restarts=2)
    assert policy == sm.Policy(max_restarts=2, has_health=True)
    with pytest.raises(TypeError):
        sm.replace(s, no_such_field=1)


def test_the_state_machine_imports_no_dataclasses():
    """The supervisor imports this module between its fork and its first spawn: 14 frozen
    dataclasses were 10-50 ms of that (docs/performance.md, P6)."""
    probe = "import sys, devctl.supervisor.states; print('dataclasses' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         timeout=60)
    assert out.stdout.strip() == "False"
