"""`devctl stream`: real plugins, real CLI."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.cli import run_cli, spawn_cli

TESTDATA = Path(__file__).resolve().parents[2] / "testdata" / "plugins"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    entries = "".join(
        f"  - id: {pid}\n    path: {sys.executable}\n    args: [{json.dumps(str(TESTDATA / script))}]\n"
        for pid, script in (("many", "cmd_stream_many.py"), ("fail", "cmd_stream_fail.py"),
                            ("sdk", "cmd_sdk.py"), ("echo", "cmd_echo.py"))
    )
    (tmp_path / ".devctl.yaml").write_text("plugins:\n" + entries)
    return tmp_path


def test_thousand_events_as_json_lines(repo: Path):
    res = run_cli("stream", "--plugin", "many", "--op", "numbers.count", "--json", cwd=repo)
    assert res.returncode == 0, res.stderr
    events = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(events) == 1001
    assert [e["n"] for e in events[:3]] == [0, 1, 2]
    assert events[99] == {"type": "event", "stream_id": "s1", "event": "log", "level": "info",
                          "message": "at 100"}
    ticks = [e["n"] for e in events if e["event"] == "tick"]
    assert len(ticks) == 990 and ticks == sorted(ticks)  # in order, none lost
    assert events[-1] == {"type": "event", "stream_id": "s1", "event": "end", "ok": True}


def test_readable_output_and_input(repo: Path):
    res = run_cli("stream", "-p", "many", "--op", "numbers.count", "--input", '{"count": 100}', cwd=repo)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "tick n=0" and lines[-1] == "INFO  at 100" and len(lines) == 100
    assert "ended ok (101 events)" in res.stderr


def test_input_file_and_stdin(repo: Path):
    (repo / "in.json").write_text('{"count": 3}')
    res = run_cli("stream", "-p", "many", "--op", "numbers.count", "--input-file", "in.json", "--json",
                  cwd=repo)
    assert res.returncode == 0 and len(res.stdout.splitlines()) == 4
    res = run_cli("stream", "-p", "many", "--op", "numbers.count", "--input-file", "-", "--json", cwd=repo,
                  input='{"count": 2}')
    assert res.returncode == 0 and len(res.stdout.splitlines()) == 3


def test_stream_that_ends_ok_false_exits_1(repo: Path):
    res = run_cli("stream", "-p", "fail", "--op", "deploy.watch", "--json", cwd=repo)
    assert res.returncode == 1
    events = [json.loads(line) for line in res.stdout.splitlines()]
    assert [e.get("message") for e in events[:3]] == ["building", "pushing", "rolling out"]
    assert events[-1]["event"] == "end" and events[-1]["ok"] is False
    assert events[-1]["error"] == {"code": "E_ROLLOUT", "message": "rollout failed: 2 of 3 pods crashed"}
    res = run_cli("stream", "-p", "fail", "--op", "deploy.watch", cwd=repo)
    assert res.returncode == 1 and "stream failed: E_ROLLOUT" in res.stderr
    assert "INFO  rolling out" in res.stdout


def test_sdk_stream(repo: Path):
    res = run_cli("stream", "-p", "sdk", "--op", "count", "--input", '{"n": 2}', "--json", cwd=repo)
    assert res.returncode == 0, res.stderr
    assert [json.loads(line)["event"] for line in res.stdout.splitlines()] == ["tick", "tick", "log", "end"]
    res = run_cli("stream", "-p", "sdk", "--op", "count", "--input", '{"n": 1, "fail": true}', cwd=repo)
    assert res.returncode == 1 and "E_COUNT" in res.stderr


@pytest.mark.parametrize("args, message", [
    (["-p", "nope", "--op", "x"], "no such plugin"),
    (["-p", "fail", "--op", "nope"], "declares no stream 'nope' (its streams: deploy.watch)"),
    (["-p", "fail", "--op", "x", "--input", "[1,"], "--input:1:4: input is not valid JSON"),
    (["-p", "fail", "--op", "x", "--input", "[1]"], "--input: input must be a JSON object, got list"),
    (["-p", "fail", "--op", "x", "--input", "{}", "--input-file", "f"], "not both"),
    (["-p", "fail", "--op", "x", "--input-file", "missing.json"], "cannot read"),
])
def test_usage_errors_exit_2(repo: Path, args, message):
    res = run_cli("stream", *args, cwd=repo)
    assert res.returncode == 2 and message in res.stderr


def test_op_that_does_not_open_a_stream_is_a_plugin_failure(repo: Path):
    res = run_cli("stream", "-p", "echo", "--op", "commands.list", cwd=repo)
    assert res.returncode == 1 and "E_NOT_A_STREAM" in res.stderr


def test_ctrl_c_closes_the_plugin(repo: Path):
    with spawn_cli("stream", "-p", "many", "--op", "numbers.count", "--json",
                   "--input", '{"count": 100000, "interval": 0.02}', cwd=repo) as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # events arrive one by one, before the stream ends
        assert json.loads(first)["event"] == "tick"
        time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130


def test_plugin_that_exits_mid_stream_names_the_op(tmp_path: Path):
    """Regression: a plugin exiting before its `end` event gave only 'exited with code 0'."""
    plugin = tmp_path / "quits.py"
    plugin.write_text(
        "import json, sys\n"
        "send = lambda f: print(json.dumps(f), flush=True)\n"
        "send({'type': 'handshake', 'protocol_version': 'v1', 'plugin_name': 'quits',\n"
        "      'capabilities': {'ops': ['watch'], 'streams': ['watch']}})\n"
        "req = json.loads(sys.stdin.readline())\n"
        "send({'type': 'response', 'request_id': req['request_id'], 'ok': True,\n"
        "      'output': {'stream_id': 's'}})\n"
        "send({'type': 'event', 'stream_id': 's', 'event': 'log', 'message': 'one'})\n"
    )
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: quits\n    path: {sys.executable}\n    args: [quits.py]\n")
    res = run_cli("stream", "--plugin", "quits", "--op", "watch", "--json", cwd=tmp_path)
    assert res.returncode == 1
    assert json.loads(res.stdout.splitlines()[0])["message"] == "one"
    assert "exited with code 0" in res.stderr and "op 'watch'" in res.stderr


#: A stream plugin that takes `input.delay` seconds to answer (after writing the marker file
#: named by argv[1]), then ticks every 5 ms until it is stopped; it ignores stdin closing.
SLOW_OPEN = '''import json, sys, time
send = lambda f: print(json.dumps(f), flush=True)
send({"type": "handshake", "protocol_version": "v1", "plugin_name": "slow-open",
      "capabilities": {"ops": [], "streams": ["watch"]}})
req = json.loads(sys.stdin.readline())
open(sys.argv[1], "w").close()
time.sleep(req["input"].get("delay", 0))
send({"type": "response", "request_id": req["request_id"], "ok": True, "output": {"stream_id": "w"}})
n = 0
while True:
    send({"type": "event", "stream_id": "w", "event": "tick", "n": n})
    n += 1
    time.sleep(0.005)
'''


def test_ctrl_c_is_a_clean_130_whenever_it_lands(tmp_path: Path):
    """Regression (issue 13): Ctrl-C while the stream was opening (or just opened) sometimes
    printed `[E_UNKNOWN_STREAM] ... not open`, blaming the plugin for events of a stream devctl
    itself had stopped reading. Whenever the Ctrl-C lands: exit 130, nothing blamed."""
    (tmp_path / "slow_open.py").write_text(SLOW_OPEN)
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: slow\n    path: {sys.executable}\n    args: [slow_open.py, asked]\n")
    marker = tmp_path / "asked"
    # Before the response (the request is still waiting), right as it arrives, and mid-stream.
    for delay, after in [(0.3, 0.0), (0.01, 0.0), (0.03, 0.0), (0.05, 0.05), (0.0, 0.2)] * 2:
        marker.unlink(missing_ok=True)
        with spawn_cli("stream", "-p", "slow", "--op", "watch", "--json", "--input",
                       json.dumps({"delay": delay}), cwd=tmp_path) as proc:
            deadline = time.monotonic() + 30
            while not marker.exists():
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
                time.sleep(0.01)
            time.sleep(after)
            proc.send_signal(signal.SIGINT)
            _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert "E_UNKNOWN_STREAM" not in err and "Traceback" not in err and "slow" not in err, err
