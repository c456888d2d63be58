"""Plugins that die in mid-response, answer twice, or never close: one clear error each (or a
warning, where the answer still stands), and no process left behind.

devctl protocol v1 plugins run through the real CLI (`devctl plan`); dotagent plugins through
their host (`devctl.dotagent.plugin.Plugin`), which `devctl dotagent` and the notifier bridge use.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.cli import run_cli
from tests.reliability.harness import alive, no_traceback, rel


def plan_with(tmp_path: Path, mode: str):
    pidfile = tmp_path / "pids"
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: bad\n    path: {json.dumps(sys.executable)}\n"
        f"    args: [{json.dumps(rel('bad_plugin.py'))}, {mode}, {json.dumps(str(pidfile))}]\n")
    res = run_cli("-C", str(tmp_path), "plan", "--json")
    no_traceback(res.stderr)
    pids = [int(line.split()[1]) for line in pidfile.read_text().splitlines()]
    return res, pids


@pytest.mark.parametrize(("mode", "message"), [
    ("mid_response", "plugin 'bad' [E_CRASHED]: closed its stdout in the middle of a line "
                     "(no newline after 62 bytes): '{\"type\": \"response\""),
    # A child still holds stdout, so no EOF comes: the exit itself is noticed.
    ("mid_response_child", "plugin 'bad' [E_CRASHED]: exited with code 1 (while running op 'launch.plan')"),
])
def test_plugin_dying_mid_response_is_one_clear_error(tmp_path, mode, message):
    res, pids = plan_with(tmp_path, mode)
    assert res.returncode == 1
    assert res.stderr.count("error:") == 1 and message in res.stderr, res.stderr
    assert "bad | bad: dying in the middle of a response" in res.stderr  # its stderr, for context
    assert not any(alive(p) for p in pids)


def test_plugin_answering_twice_gets_a_warning_and_the_first_answer_stands(tmp_path):
    res, pids = plan_with(tmp_path, "twice")
    assert res.returncode == 0
    assert [s["name"] for s in json.loads(res.stdout)["services"]] == ["first"]
    assert "[E_UNKNOWN_REQUEST_ID]: answered request_id 'bad-1'" in res.stderr
    assert not any(alive(p) for p in pids)


def test_plugin_that_never_closes_is_killed_with_its_escaped_child(tmp_path):
    res, pids = plan_with(tmp_path, "never_closes")
    assert res.returncode == 0, res.stderr
    assert len(pids) == 2  # the plugin and a child in its own group, both ignoring SIGTERM
    assert not any(alive(p) for p in pids)


@pytest.mark.parametrize(("mode", "error"), [
    ("mid_reply", "stdout is not one JSON document (Unterminated string"),
    ("twice", "stdout is not one JSON document (Extra data at line 2)"),
    ("never_closes", "invoke did not answer within"),
])
def test_dotagent_plugin_misbehaving_on_invoke(mode, error, monkeypatch):
    from devctl.dotagent.plugin import Plugin, make_payload

    monkeypatch.setenv("BAD_MODE", mode)
    plugin = Plugin("bad", Path(rel("bad_dotagent.py")))
    # The deadline matters only to the plugin that never closes stdout; the others get a generous
    # one, so a slow interpreter start on a loaded box cannot pass for a hang.
    timeout = 0.5 if mode == "never_closes" else 30.0
    outcome = plugin.invoke(make_payload("notify", "agent", "hourly", "done", "hi", {}), timeout=timeout)
    assert outcome.ok is False and outcome.broken is True
    assert outcome.error.startswith(error), outcome.error
    # Nothing left: the autouse orphan check covers the child that left the group.
