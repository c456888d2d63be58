"""devctl.sdk: handshake from decorators, request parsing, errors, streams, commands, stdout guard."""

from __future__ import annotations

import io
import json

import pytest

from devctl.sdk import Plugin, PluginFailure, Request


def make_plugin() -> Plugin:
    plugin = Plugin("demo", side_effects="none")

    @plugin.op("config.mutate")
    def mutate(req):
        if req.config.get("fail"):
            raise PluginFailure("E_DB", "database unreachable")
        return {"config_patch": {"set": {"a.b": 1}}}

    @plugin.op("launch.plan")
    def plan(req):
        print("a stray print")  # must not reach the protocol stream
        return None

    @plugin.op("bug")
    def bug(req):
        return {}["missing"]

    @plugin.op("bad.type")
    def bad_type(req):
        return ["not", "a", "dict"]

    @plugin.stream("count")
    def count(req):
        if req.input.get("n", 0) < 0:
            raise PluginFailure("E_INPUT", "n must be >= 0")
        for i in range(req.input.get("n", 2)):
            yield {"event": "tick", "n": i}
        if req.input.get("fail"):
            raise PluginFailure("E_LATE", "broke mid-stream")
        yield "bye"

    @plugin.command("db-reset", help="Reset the DB")
    def reset(req):
        return int(req.argv[0]) if req.argv else None

    return plugin


def request(rid, op, input=None, ctx=None):
    return {"type": "request", "request_id": rid, "op": op, "input": input or {}, "ctx": ctx or {}}


def test_handshake_is_built_from_the_decorators():
    hs = make_plugin().handshake()
    assert hs["type"] == "handshake" and hs["protocol_version"] == "v1" and hs["plugin_name"] == "demo"
    caps = hs["capabilities"]
    assert caps["ops"] == ["config.mutate", "launch.plan", "bug", "bad.type", "count",
                           "commands.list", "command.run"]
    assert caps["streams"] == ["count"] and caps["commands"] == ["db-reset"]
    assert hs["declares"] == {"side_effects": "none"}


def test_a_plugin_without_commands_or_streams_declares_only_its_ops():
    plugin = Plugin("small")
    plugin.op("launch.plan")(lambda req: {"services": []})
    assert plugin.handshake()["capabilities"] == {"ops": ["launch.plan"]}


def test_response_echoes_the_request_id_and_wraps_the_output():
    [resp] = make_plugin().handle(request("r-17", "config.mutate", {"config": {}}))
    assert resp == {"type": "response", "request_id": "r-17", "ok": True,
                    "output": {"config_patch": {"set": {"a.b": 1}}}}


def test_plugin_failure_becomes_ok_false_with_its_code():
    [resp] = make_plugin().handle(request("r1", "config.mutate", {"config": {"fail": True}}))
    assert resp["ok"] is False
    assert resp["error"] == {"code": "E_DB", "message": "database unreachable"}


def test_other_exceptions_become_e_internal_and_the_plugin_keeps_serving(capsys):
    plugin = make_plugin()
    [resp] = plugin.handle(request("r1", "bug"))
    assert resp["error"]["code"] == "E_INTERNAL" and "KeyError" in resp["error"]["message"]
    assert "Traceback" in capsys.readouterr().err
    [resp] = plugin.handle(request("r2", "bad.type"))
    assert resp["error"]["code"] == "E_INTERNAL" and "expected a dict" in resp["error"]["message"]
    [resp] = plugin.handle(request("r3", "launch.plan"))
    assert resp["ok"] is True and resp["output"] == {}


def test_undeclared_op_is_e_unsupported():
    [resp] = make_plugin().handle(request("r1", "build.run"))
    assert resp["ok"] is False and resp["error"]["code"] == "E_UNSUPPORTED"


def test_stream_response_then_events_then_end():
    frames = list(make_plugin().handle(request("r1", "count", {"n": 2})))
    assert frames[0]["type"] == "response" and frames[0]["ok"] is True
    sid = frames[0]["output"]["stream_id"]
    assert [f["type"] for f in frames[1:]] == ["event"] * 4
    assert all(f["stream_id"] == sid for f in frames[1:])
    assert [f.get("n") for f in frames[1:3]] == [0, 1]
    assert frames[3]["event"] == "log" and frames[3]["message"] == "bye"
    assert frames[4] == {"type": "event", "stream_id": sid, "event": "end", "ok": True}


def test_stream_that_raises_mid_way_ends_ok_false():
    frames = list(make_plugin().handle(request("r1", "count", {"n": 1, "fail": True})))
    assert frames[-1]["event"] == "end" and frames[-1]["ok"] is False
    assert frames[-1]["error"]["code"] == "E_LATE"


def test_stream_input_errors_before_the_first_event_answer_ok_false():
    frames = list(make_plugin().handle(request("r1", "count", {"n": -1})))
    assert len(frames) == 1 and frames[0]["ok"] is False and frames[0]["error"]["code"] == "E_INPUT"


def test_each_stream_gets_a_new_id():
    plugin = make_plugin()
    a = list(plugin.handle(request("r1", "count", {"n": 0})))[0]["output"]["stream_id"]
    b = list(plugin.handle(request("r2", "count", {"n": 0})))[0]["output"]["stream_id"]
    assert a != b


def test_commands_list_and_run():
    plugin = make_plugin()
    [listed] = plugin.handle(request("r1", "commands.list"))
    assert listed["output"] == {"commands": [{"name": "db-reset", "help": "Reset the DB"}]}
    [ran] = plugin.handle(request("r2", "command.run", {"name": "db-reset", "argv": ["7"], "config": {}}))
    assert ran["output"] == {"exit_code": 7}
    [ran] = plugin.handle(request("r3", "command.run", {"name": "db-reset", "argv": []}))
    assert ran["output"] == {"exit_code": 0}
    [unknown] = plugin.handle(request("r4", "command.run", {"name": "nope", "argv": []}))
    assert unknown["ok"] is False and unknown["error"]["code"] == "E_UNKNOWN_COMMAND"


def test_command_help_is_answered_by_the_sdk(capsys):
    [ran] = make_plugin().handle(request("r1", "command.run", {"name": "db-reset", "argv": ["--help"]}))
    assert ran["output"] == {"exit_code": 0}
    assert "usage: devctl db-reset" in capsys.readouterr().err


def test_invalid_registrations_fail_early():
    plugin = Plugin("x")
    with pytest.raises(ValueError):
        plugin.command("--bad")
    plugin.op("a")(lambda req: {})
    with pytest.raises(ValueError):
        plugin.op("a")(lambda req: {})
    with pytest.raises(ValueError):
        plugin.op("command.run")(lambda req: {})


def test_request_shortcuts():
    req = Request("1", "command.run", {"name": "n", "argv": ["a", 2], "config": {"k": 1}},
                  {"repo_root": "/r", "dry_run": True, "deadline_ms": 500})
    assert req.name == "n" and req.argv == ["a", "2"] and req.config == {"k": 1}
    assert str(req.repo_root) == "/r" and req.dry_run is True and req.deadline_ms == 500
    empty = Request("2", "x")
    assert empty.config == {} and empty.argv == [] and empty.dry_run is False and empty.deadline_ms is None


def test_run_loop_with_streams_keeps_prints_off_the_protocol(capsys):
    plugin = make_plugin()
    lines = [json.dumps(request("r1", "launch.plan")), "not json", json.dumps({"type": "event"}), "",
             json.dumps(request("r2", "nope"))]
    stdin = io.BytesIO(("\n".join(lines) + "\n").encode())
    stdout = io.StringIO()
    plugin.run(stdin=stdin, stdout=stdout)
    frames = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert frames[0]["type"] == "handshake"
    assert [f["request_id"] for f in frames[1:]] == ["r1", "r2"]
    err = capsys.readouterr().err
    assert "a stray print" in err and "not JSON" in err
