"""The NDJSON v1 plugin host against real plugin processes (testdata/plugins/host_*).

One test per behaviour. Besides the autouse orphan check, tests that close a plugin also assert
that its process group is empty afterwards.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from devctl.errors import PluginError
from devctl.plugins import PluginClient, open_plugins, start_plugin
from devctl.procs import reactor
from devctl.procs.groups import group_alive
from devctl.procs.pids import pid_alive

PLUGINS = Path(__file__).resolve().parents[2] / "testdata" / "plugins"


@dataclass
class Spec:
    """The attributes of devctl.config.PluginSpec that the host relies on."""

    id: str
    path: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    workdir: Path = PLUGINS
    priority: int = 0
    executable: str = sys.executable

    def argv(self) -> list[str]:
        if self.path.endswith(".py"):
            return [self.executable, self.path, *self.args]
        return [self.path, *self.args]


def spec(name: str, *args: str, id: str | None = None, **kw: Any) -> Spec:
    pid = id or name.removeprefix("host_").split(".")[0]
    return Spec(id=pid, path=str(PLUGINS / name), args=list(args), **kw)


def run(fn: Callable[[], Any]) -> Any:
    return fn()


def failing(call: Callable[[], Any]) -> PluginError:
    """Call and return the PluginError it must raise."""
    with pytest.raises(PluginError) as info:
        call()
    return info.value


def closed(client: PluginClient) -> None:
    client.close()
    assert not group_alive(client.pid), "the plugin's process group must be empty after close()"


def pump_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Serve the plugins' pipes (as any wait in the host does) until `condition` holds."""
    assert reactor.current().run_until(condition, time.monotonic() + timeout), "condition never held"


#: Ctrl-Cs scheduled by the current test, cancelled when it ends (`_no_stray_ctrl_c`).
_presses: list[reactor.Timer] = []


@pytest.fixture(autouse=True)
def _no_stray_ctrl_c():
    """The reactor is the worker thread's, shared by every test: a Ctrl-C left by a test that
    ended before its time must not interrupt the next test (it would end the whole session)."""
    yield
    for timer in _presses:
        timer.cancel()
    _presses.clear()


def interrupt_after(seconds: float) -> None:
    """Ctrl-C, `seconds` from now, in the middle of whatever the host is waiting for."""
    def press() -> None:
        raise KeyboardInterrupt

    _presses.append(reactor.current().call_later(seconds, press))


def ctrl_c_after(seconds: float) -> None:
    """A real Ctrl-C (SIGINT to this process), `seconds` from now, while the host waits."""
    _presses.append(reactor.current().call_later(seconds, lambda: os.kill(os.getpid(), signal.SIGINT)))


# ---- happy path --------------------------------------------------------------------------------

def test_ok_handshake_request_ctx_env_and_stderr(tmp_path):
    lines: list[tuple[str, str]] = []

    def main():
        s = spec("host_ok.py", id="okp", env={"OKP_FLAG": "on"}, workdir=tmp_path)
        client = start_plugin(s, "/repo/root", on_stderr=lambda pid, line: lines.append((pid, line)))
        try:
            assert client.handshake["plugin_name"] == "host-ok"
            assert client.ops == {"test.echo", "test.stderr", "test.slow", "config.mutate"}
            assert client.commands == ["hello"] and client.streams == frozenset()
            assert client.supports("test.echo") and not client.supports("launch.plan")
            out1 = client.request("test.echo", {"env": ["OKP_FLAG", "PYTHONUNBUFFERED",
                                                              "DEVCTL_TEST_TAG"]}, timeout=10, dry_run=True,
                                        cwd="sub")
            out2 = client.request("test.echo", {}, timeout=2.5)
        finally:
            closed(client)
        return out1, out2

    out1, out2 = run(main)
    req = out1["request"]
    assert req["type"] == "request" and req["op"] == "test.echo"
    assert req["ctx"] == {"repo_root": "/repo/root", "cwd": "sub", "deadline_ms": 10000, "dry_run": True}
    assert out2["request"]["ctx"]["deadline_ms"] == 2500 and out2["request"]["ctx"]["dry_run"] is False
    assert req["request_id"] != out2["request"]["request_id"]  # unique per plugin
    assert out1["cwd"] == str(tmp_path)
    assert out1["env"]["OKP_FLAG"] == "on" and out1["env"]["PYTHONUNBUFFERED"] == "1"
    assert out1["env"]["DEVCTL_TEST_TAG"] == os.environ["DEVCTL_TEST_TAG"]  # parent env is inherited
    assert out1["pgid"] == out1["pid"] != os.getpgid(0)  # its own process group
    assert ("okp", "host_ok: ready") in lines


def test_stderr_is_drained_continuously_and_tail_kept():
    seen: list[str] = []

    def main():
        client = start_plugin(spec("host_ok.py"), PLUGINS, on_stderr=lambda _p, line: seen.append(line))
        try:
            # 5000 lines (~70 KiB) fill the pipe buffer unless devctl keeps reading.
            client.request("test.stderr", {"lines": 5000}, timeout=30)
            pump_until(lambda: "stderr line 4999" in seen)
            return client.stderr_tail(3)
        finally:
            closed(client)

    assert run(main) == ["stderr line 4997", "stderr line 4998", "stderr line 4999"]
    assert seen[0] == "host_ok: ready" and len(seen) == 5001


def test_bash_only_plugin():
    def main():
        client = start_plugin(spec("host_bash.sh"), PLUGINS)
        try:
            out = client.request("test.echo", {}, timeout=10, dry_run=True)
            err = failing(lambda: client.request("test.nope", {}, timeout=10))
            return client.handshake["plugin_name"], out, err
        finally:
            closed(client)

    name, out, err = run(main)
    assert name == "bash" and out == {"op": "test.echo", "dry_run": True, "shell": "bash"}
    assert err.code == "E_PLUGIN_ERROR" and "E_UNSUPPORTED: unsupported op: test.nope" in err.message


def test_ok_false_names_plugin_op_code_message_and_plugin_stays_usable():
    def main():
        client = start_plugin(spec("host_unsupported.py", id="unsup"), PLUGINS)
        try:
            err = failing(lambda: client.request("build.run", {}, timeout=10))
            again = client.request("test.known", {}, timeout=10)
            return err, again
        finally:
            closed(client)

    err, again = run(main)
    assert err.message == ("plugin 'unsup' [E_PLUGIN_ERROR]: op 'build.run' failed: E_UNSUPPORTED: "
                           "unsupported op: build.run")
    assert err.plugin == "unsup" and err.op == "build.run"
    assert "unsup | no handler for build.run" in err.details
    assert again == {"known": True}


def test_undeclared_op_is_never_sent():
    def main():
        client = start_plugin(spec("host_ok.py", id="okp"), PLUGINS)
        try:
            first = client.request("test.echo", {}, timeout=10)
            err = failing(lambda: client.request("launch.plan", {}, timeout=10))
            second = client.request("test.echo", {}, timeout=10)
            return first, err, second
        finally:
            closed(client)

    first, err, second = run(main)
    assert err.code == "E_UNDECLARED_OP" and "'launch.plan'" in err.message and "test.echo" in err.message
    assert (first["seen"], second["seen"]) == (1, 2)  # the plugin never received launch.plan


def test_cancelled_request_leaves_the_plugin_usable():
    def main():
        client = start_plugin(spec("host_ok.py"), PLUGINS)
        try:
            interrupt_after(0.2)
            with pytest.raises(KeyboardInterrupt):
                client.request("test.slow", {"s": 0.6}, timeout=30)
            out = client.request("test.echo", {}, timeout=30)  # the late answer comes first
            return out, client.warnings, client.failure
        finally:
            closed(client)

    out, warnings, failure = run(main)
    assert out["seen"] == 2 and warnings == [] and failure is None


# ---- start-up failures -------------------------------------------------------------------------

def test_noisy_before_handshake_is_contamination():
    err = run(lambda: failing(lambda: start_plugin(spec("host_noisy_before.py", id="noisy"), PLUGINS)))
    assert err.code == "E_CONTAMINATION"
    assert err.message.startswith("plugin 'noisy' [E_CONTAMINATION]: ")
    assert "before its handshake" in err.message and "'Starting host_noisy_before v0.1 ...'" in err.message


def test_slow_handshake_times_out():
    t0 = time.monotonic()
    err = run(lambda: failing(lambda: start_plugin(spec("host_slow_handshake.py", "60", id="slow"), PLUGINS,
                                           handshake_timeout=0.5)))
    assert time.monotonic() - t0 < 30  # did not wait for the 60 s plugin
    assert err.code == "E_HANDSHAKE_TIMEOUT" and "within 0.5 s" in err.message
    assert "slow | warming up slowly" in err.details


@pytest.mark.parametrize(
    ("kind", "expect"),
    [
        ("v2", "protocol_version string 'v2' is not supported"),
        ("ops-string", "capabilities.ops must be an array of strings, got string 'config.mutate'"),
        ("response", "first frame must be a handshake, got type string 'response'"),
    ],
)
def test_bad_handshake(kind, expect):
    err = run(lambda: failing(lambda: start_plugin(spec("host_bad_handshake.py", kind), PLUGINS)))
    assert err.code == "E_BAD_HANDSHAKE" and expect in err.message


def test_handshake_without_ops_is_a_warning_and_an_error_under_strict():
    """The Go devctl reads a missing capabilities.ops as "no ops"; so does devctl, with a warning."""
    warnings: list[str] = []

    def main():
        client = start_plugin(spec("host_no_ops.py", id="bare"), PLUGINS,
                                    on_warning=lambda pid, text: warnings.append(text))
        try:
            assert client.ops == frozenset() and client.handshake["capabilities"]["ops"] == []
        finally:
            client.close()

    run(main)
    assert len(warnings) == 1 and warnings[0].startswith("plugin 'bare' [E_NO_OPS]: ")
    err = run(lambda: failing(lambda: start_plugin(spec("host_no_ops.py", id="bare"), PLUGINS, strict=True)))
    assert err.code == "E_NO_OPS" and "--strict" in err.message


def test_contamination_of_an_idle_plugin_is_reported_when_the_plugins_close():
    """Regression (issue 13): junk right after the handshake went unreported when no request was
    sent to the plugin. open_plugins reports it at the end: a warning, an error under strict."""
    warnings: list[str] = []

    def idle(strict: bool):
        with open_plugins([spec("host_noisy_idle.py", id="noisy")], PLUGINS, strict=strict,
                                on_warning=lambda pid, text: warnings.append(text)):
            reactor.current().sleep(0.3)  # the plugin is asked nothing

    run(lambda: idle(False))
    assert len(warnings) == 1 and "plugin 'noisy' [E_CONTAMINATION]" in warnings[0]
    assert "'DEBUG connected to the metrics daemon'" in warnings[0] and "warning" in warnings[0]
    err = run(lambda: failing(lambda: idle(True)))
    assert err.code == "E_CONTAMINATION" and "DEBUG connected" in err.message and "--strict" in err.message


def test_junk_without_a_newline_is_contamination_too():
    """A progress message on stdout that no newline ends (`print(..., end="")`, `echo -n`) is
    junk all the same, not a frame cut short: reported like any contamination when it closes."""
    warnings: list[str] = []

    def main():
        with open_plugins([spec("host_noisy_no_newline.py", id="noisy")], PLUGINS,
                          on_warning=lambda pid, text: warnings.append(text)):
            pass  # the plugin is asked nothing

    run(main)
    assert len(warnings) == 1 and "plugin 'noisy' [E_CONTAMINATION]" in warnings[0]
    assert "'Loading plugins..." in warnings[0]


def test_exit_before_handshake():
    err = run(lambda: failing(lambda: start_plugin(spec("host_crash.py", "--before-handshake"), PLUGINS)))
    assert err.code == "E_CRASHED" and "exited with code 4 before sending its handshake" in err.message
    assert "crash | fatal: cannot read my config" in err.details


def test_ctrl_c_just_as_a_plugin_was_spawned_leaves_nothing_running(monkeypatch):
    """Between a plugin's spawn and its adoption by a client nothing owned it: a Ctrl-C landing
    there (here: sent as the spawn returns) left it running, waiting on a stdin nobody closes."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    from devctl.plugins import launch

    spawned: list[int] = []

    def spawn_then_ctrl_c(s: Any) -> Any:
        started = real(s)
        spawned.append(started.popen.pid)
        if len(spawned) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return started

    real = launch.spawn
    monkeypatch.setattr(launch, "spawn", spawn_then_ctrl_c)
    specs = [spec("host_ok.py", id="a"), spec("host_ok.py", id="b"), spec("host_ok.py", id="c")]
    with pytest.raises(KeyboardInterrupt), open_plugins(specs, PLUGINS):
        raise AssertionError("not reached")
    assert len(spawned) == 2 and not any(group_alive(pid) for pid in spawned)


def test_spawn_failures(tmp_path):
    missing = Spec(id="ghost", path=str(tmp_path / "nope.sh"), args=[])
    err = run(lambda: failing(lambda: start_plugin(missing, tmp_path)))
    assert err.code == "E_SPAWN" and "nope.sh" in err.message
    bad_dir = spec("host_ok.py", workdir=tmp_path / "gone")
    err = run(lambda: failing(lambda: start_plugin(bad_dir, tmp_path)))
    assert err.code == "E_SPAWN" and "workdir" in err.message and "gone" in err.message


# ---- failures during a request -----------------------------------------------------------------

def test_noisy_after_handshake_fails_the_plugin_and_quotes_200_chars():
    def main():
        client = start_plugin(spec("host_noisy_after.py", id="noisy"), PLUGINS)
        try:
            err = failing(lambda: client.request("test.echo", {}, timeout=10))
            assert not group_alive(client.pid)  # a failed plugin is stopped at once
            later = failing(lambda: client.request("test.echo", {}, timeout=10))
            return err, later
        finally:
            closed(client)

    err, later = run(main)
    assert err.code == "E_CONTAMINATION" and "op 'test.echo'" in err.message
    quoted = err.message.split(": 'DEBUG got request", 1)[1]
    assert "x" * 150 in quoted and "x" * 300 not in quoted and "…'" in quoted
    assert len("DEBUG got request" + quoted.split("…'")[0]) == 200
    assert "noisy | about to answer" in err.details
    assert later.code == "E_CONTAMINATION" and "was not sent" in later.message


def test_hang_times_out_and_the_group_is_stopped():
    def main():
        client = start_plugin(spec("host_hang.py", id="hang"), PLUGINS)
        try:
            err = failing(lambda: client.request("test.hang", {}, timeout=0.5))
            assert not group_alive(client.pid)
            return err
        finally:
            closed(client)

    err = run(main)
    assert err.code == "E_TIMEOUT" and "'test.hang' got no response within 0.5 s" in err.message
    assert "hang | got a request, thinking forever" in err.details


def test_an_answer_in_the_pipe_by_the_deadline_is_not_a_timeout():
    """devctl may get the CPU only after the deadline (a busy box): an answer the plugin already
    wrote must still count."""
    def main():
        client = start_plugin(spec("host_ok.py"), PLUGINS)
        try:
            call = client.send("test.echo", {}, timeout=1e-6)
            # Wait, without reading, until the answer is in the pipe (the deadline is long past).
            assert select.select([client._out_fd], [], [], 10)[0], "no answer within 10 s"
            return call.result(), client.failure
        finally:
            closed(client)

    out, failure = run(main)
    assert out["seen"] == 1 and failure is None


def test_ctrl_c_while_devctl_starts_stopping_a_failed_plugin_still_stops_it(monkeypatch):
    """Starting to stop a plugin lists its descendants from /proc, which takes a moment: a Ctrl-C
    landing then (here: sent from inside that listing) must not leave the stop half begun, marked
    started but never signalled nor driven, so that close() waits in vain and leaves it running."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    from devctl.plugins import client as host

    pressed: list[int] = []

    def descendants_then_ctrl_c(pid: int) -> list[int]:
        found = real(pid)
        if not pressed:
            pressed.append(pid)
            os.kill(os.getpid(), signal.SIGINT)
        return found

    real = host.descendants
    monkeypatch.setattr(host, "descendants", descendants_then_ctrl_c)

    def main():
        client = start_plugin(spec("host_hang.py", id="hang"), PLUGINS, stop_grace=0.3)
        try:
            with pytest.raises(KeyboardInterrupt):
                client.request("test.hang", {}, timeout=0.3)
        finally:
            closed(client)
        return client

    client = run(main)
    assert pressed == [client.pid] and client.stopped


def test_timeout_also_covers_a_request_stuck_on_a_full_stdin_pipe():
    def main():
        client = start_plugin(spec("host_hang.py", "--no-read", id="hang"), PLUGINS, stop_grace=0.5)
        try:
            return failing(lambda: client.request("test.hang", {"blob": "y" * (1 << 20)}, timeout=0.5))
        finally:
            closed(client)

    err = run(main)
    assert err.code == "E_TIMEOUT" and "hang | not reading stdin at all" in err.details


@pytest.mark.parametrize(("inp", "expect"), [({}, "exited with code 3"),
                                              ({"signal": "SIGKILL"}, "killed by SIGKILL")])
def test_crash_mid_request(inp, expect):
    def main():
        client = start_plugin(spec("host_crash.py"), PLUGINS)
        try:
            return failing(lambda: client.request("test.crash", inp, timeout=30))
        finally:
            closed(client)

    err = run(main)
    assert err.code == "E_CRASHED" and expect in err.message and "op 'test.crash'" in err.message
    assert "crash | Traceback: something broke badly" in err.details


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "polled"])
def test_crash_while_a_grandchild_holds_stdout_is_reported_at_once(pidfd, monkeypatch):
    """The exit is watched, not only stdout's end: through a pidfd, or where os.pidfd_open is
    missing (Linux < 5.3, other systems) by polling."""
    if not pidfd:
        monkeypatch.delattr(os, "pidfd_open", raising=False)

    def main():
        client = start_plugin(spec("host_crash.py"), PLUGINS)
        try:
            # E_CRASHED, not E_TIMEOUT 60 s later: the exit watch saw it although stdout stays open.
            return failing(lambda: client.request("test.crash", {"orphan": True}, timeout=60))
        finally:
            closed(client)

    err = run(main)
    assert err.code == "E_CRASHED" and "exited with code 3" in err.message


def test_crash_leaving_a_child_in_a_session_of_its_own_leaves_nothing_running():
    """The child left the plugin's process group and, when the plugin died, its tree too; it still
    holds the plugin's stdout. Stopping the failed plugin must stop it as well."""
    def main():
        client = start_plugin(spec("host_escapee.py"), PLUGINS, stop_grace=0.3)
        try:
            return failing(lambda: client.request("test.escape", {"escape": True}, timeout=60))
        finally:
            closed(client)

    err = run(main)
    assert err.code == "E_CRASHED" and "exited with code 3" in err.message
    [escapee] = [int(line.split()[-1]) for line in err.details if "| escapee " in line]
    assert not pid_alive(escapee)


def test_a_plugin_that_closed_its_stdin_but_runs_on_fails_the_request_at_once():
    """It can never read the request: waiting for the answer until the timeout would be for nothing."""
    def main():
        client = start_plugin(spec("host_closes_stdin.py", id="deaf"), PLUGINS, stop_grace=0.3)
        try:
            pump_until(lambda: client.stderr_tail(1) == ["closed my stdin"])
            return failing(lambda: client.request("test.echo", {}, timeout=60))
        finally:
            closed(client)

    err = run(main)
    assert err.code == "E_CRASHED" and "closed its stdin while still running" in err.message
    assert "op 'test.echo'" in err.message and "deaf | closed my stdin" in err.details


def test_exit_while_idle_fails_the_next_request():
    def main():
        client = start_plugin(spec("host_crash.py", "--after-handshake"), PLUGINS)
        try:
            pump_until(lambda: client.failure is not None)
            return failing(lambda: client.request("test.crash", {}, timeout=10))
        finally:
            closed(client)

    err = run(main)
    assert err.code == "E_CRASHED" and "exited with code 5" in err.message and "was not sent" in err.message


def test_wrong_request_id_fails_the_waiting_request():
    def main():
        client = start_plugin(spec("host_wrong_id.py", id="wid"), PLUGINS)
        try:
            return failing(lambda: client.request("test.answer", {"mode": "wrong"}, timeout=30))
        finally:
            closed(client)

    err = run(main)
    assert err.code == "E_UNKNOWN_REQUEST_ID"
    assert "'bogus-wid-1'" in err.message and "waited for 'wid-1'" in err.message


def test_unknown_request_id_with_nothing_waiting_is_a_warning():
    warnings: list[tuple[str, str]] = []

    def main():
        client = start_plugin(spec("host_wrong_id.py", id="wid"), PLUGINS,
                                    on_warning=lambda pid, msg: warnings.append((pid, msg)))
        try:
            out = client.request("test.answer", {"mode": "extra"}, timeout=10)
            pump_until(lambda: bool(client.warnings))
            assert client.failure is None  # still usable
            return out, list(client.warnings)
        finally:
            closed(client)

    out, kept = run(main)
    assert out == {"n": 1}
    assert warnings == [("wid", kept[0])]
    assert kept[0].startswith("plugin 'wid' [E_UNKNOWN_REQUEST_ID]: ") and "'bogus-wid-1'" in kept[0]


def test_two_mib_line_is_refused():
    def main():
        client = start_plugin(spec("host_long_line.py", id="long"), PLUGINS)
        try:
            return failing(lambda: client.request("test.big", {}, timeout=30))
        finally:
            closed(client)

    err = run(main)
    assert err.code == "E_LINE_TOO_LONG" and "longer than 1048576 bytes" in err.message
    assert len(err.message) < 600  # quotes the start, not 2 MiB


# ---- streams -----------------------------------------------------------------------------------

def test_stream_events_in_order_buffered_before_subscribing():
    def main():
        client = start_plugin(spec("host_stream.py"), PLUGINS)
        try:
            stream = client.open_stream("test.count", {"count": 50}, timeout=10)
            pump_until(lambda: stream.buffered >= 51)
            events = [ev for ev in stream]
            second = client.open_stream("test.count", {"count": 2}, timeout=10)
            events2 = [ev["event"] for ev in second]
            return stream.stream_id, events, events2
        finally:
            closed(client)

    sid, events, events2 = run(main)
    assert sid == "s1"
    assert [ev.get("n") for ev in events[:-1]] == list(range(50))
    assert events[-1] == {"type": "event", "stream_id": "s1", "event": "end", "ok": True}
    assert events2 == ["tick", "tick", "end"]


def test_stream_buffer_overflow_fails_clearly():
    def main():
        client = start_plugin(spec("host_stream.py"), PLUGINS, stream_buffer=10)
        try:
            stream = client.open_stream("test.count", {"count": 100}, timeout=10)
            pump_until(lambda: stream.finished)
            return failing(lambda: next(stream))
        finally:
            closed(client)

    err = run(main)
    assert err.code == "E_STREAM_OVERFLOW" and "bound: 10 events" in err.message


def test_stream_ending_ok_false():
    def main():
        client = start_plugin(spec("host_stream_fail.py", id="sf"), PLUGINS)
        try:
            stream = client.open_stream("logs.follow", {}, timeout=10)
            got = []
            with pytest.raises(PluginError) as info:
                for ev in stream:
                    got.append(ev["message"])
            return got, info.value
        finally:
            closed(client)

    got, err = run(main)
    assert got == ["line 1", "line 2"]
    assert err.code == "E_STREAM_FAILED" and "E_FOLLOW: log file vanished" in err.message


def test_open_stream_on_a_plain_op_is_refused():
    def main():
        client = start_plugin(spec("host_ok.py"), PLUGINS)
        try:
            return failing(lambda: client.open_stream("test.echo", {}, timeout=10))
        finally:
            closed(client)

    assert run(main).code == "E_NOT_A_STREAM"


# ---- closing -----------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [(), ("--ignore-term",)])
def test_close_kills_grandchildren(args):
    def main():
        client = start_plugin(spec("host_grandchild.py", *args), PLUGINS, stop_grace=0.3)
        out = client.request("test.pid", {}, timeout=10)
        assert pid_alive(out["grandchild"])
        closed(client)
        client.close()  # idempotent
        later = failing(lambda: client.request("test.pid", {}, timeout=10))
        return out["grandchild"], later

    grandchild, later = run(main)
    assert not pid_alive(grandchild)
    assert later.code == "E_CLOSED"


def test_open_plugins_starts_in_order_and_closes_all():
    def main():
        specs = [spec("host_ok.py", id="a"), spec("host_bash.sh", id="b"), spec("host_stream.py", id="c")]
        with open_plugins(specs, PLUGINS) as clients:
            ids = [c.spec.id for c in clients]
            pids = [c.pid for c in clients]
            assert all(group_alive(p) for p in pids)
        return ids, pids

    ids, pids = run(main)
    assert ids == ["a", "b", "c"]
    assert not any(group_alive(p) for p in pids)


def test_open_plugins_reports_the_first_failing_spec_and_closes_the_rest():
    def main():
        specs = [spec("host_ok.py", id="a"), spec("host_noisy_before.py", id="b"),
                 spec("host_crash.py", "--before-handshake", id="c")]
        with open_plugins(specs, PLUGINS):
            raise AssertionError("not reached")

    err = run(lambda: failing(main))
    assert err.plugin == "b" and err.code == "E_CONTAMINATION"


def test_open_plugins_closes_on_error_in_the_body():
    pids: list[int] = []

    def main():
        with open_plugins([spec("host_grandchild.py", id="g")], PLUGINS) as clients:
            pids.append(clients[0].pid)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run(main)
    assert not group_alive(pids[0])


def test_open_plugins_closes_on_ctrl_c_and_a_second_ctrl_c_waits_until_they_are_stopped():
    """Real SIGINTs, as a user's Ctrl-C: the first in the body, the second while the plugins are
    being closed (one ignores SIGTERM, so its close lasts the grace). The second must not cut the
    close short (the asyncio host's shielded cancel scope; here `reactor.shielded`)."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    pids: list[int] = []

    def main():
        with open_plugins([spec("host_grandchild.py", "--ignore-term", id="g"), spec("host_hang.py", id="h")],
                          PLUGINS, stop_grace=0.5) as clients:
            out = clients[0].request("test.pid", {}, timeout=10)
            pids.extend([*(c.pid for c in clients), out["grandchild"]])
            ctrl_c_after(0.3)  # in the body
            ctrl_c_after(0.5)  # due while the plugins close: the first Ctrl-C led there
            reactor.current().sleep(60)

    with pytest.raises(KeyboardInterrupt):
        run(main)
    assert len(pids) == 3 and not any(group_alive(p) for p in pids[:2]) and not pid_alive(pids[2])
