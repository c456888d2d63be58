"""Frame validation for protocol v1: pure, no processes."""

from __future__ import annotations

import pytest

from devctl.protocol import frames
from devctl.protocol.ndjson import FrameError

HS = {
    "type": "handshake",
    "protocol_version": "v1",
    "plugin_name": "example",
    "capabilities": {"ops": ["config.mutate", "launch.plan"]},
}


def _with(base: dict, **changes) -> dict:
    out = dict(base)
    for key, value in changes.items():
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


# ---- handshake ---------------------------------------------------------------------------------

def test_handshake_minimal_is_normalized():
    hs = frames.validate_handshake(HS)
    assert hs.plugin_name == "example"
    assert hs.ops == ("config.mutate", "launch.plan")
    assert hs.streams == () and hs.commands == ()
    caps = hs.frame["capabilities"]
    assert caps == {"ops": ["config.mutate", "launch.plan"], "streams": [], "commands": []}
    assert hs.frame["declares"] == {}


def test_handshake_full_keeps_streams_commands_declares_and_extra_keys():
    frame = _with(HS, capabilities={"ops": ["a"], "streams": ["logs.follow"], "commands": ["db-reset"],
                                    "x-extra": 1},
                  declares={"side_effects": "process", "idempotent": False}, vendor="acme")
    hs = frames.validate_handshake(frame)
    assert hs.streams == ("logs.follow",)
    assert hs.commands == ("db-reset",)
    assert hs.declares == {"side_effects": "process", "idempotent": False}
    assert hs.frame["vendor"] == "acme" and hs.frame["capabilities"]["x-extra"] == 1


def test_handshake_commands_may_be_objects_with_a_name():
    hs = frames.validate_handshake(_with(HS, capabilities={"ops": [], "commands": [{"name": "db-reset",
                                                                                   "help": "x"}]}))
    assert hs.commands == ("db-reset",)


@pytest.mark.parametrize(
    ("frame", "expect"),
    [
        (_with(HS, type="response"), "first frame must be a handshake, got type string 'response'"),
        (_with(HS, type=...), "first frame must be a handshake, got type null"),
        (_with(HS, protocol_version="v2"), "protocol_version string 'v2' is not supported"),
        (_with(HS, protocol_version=1), "protocol_version number is not supported"),
        (_with(HS, protocol_version=...), "missing 'protocol_version'"),
        (_with(HS, plugin_name=...), "handshake: missing 'plugin_name'"),
        (_with(HS, plugin_name=""), "'plugin_name' must be a non-empty string"),
        (_with(HS, plugin_name=3), "'plugin_name' must be a non-empty string, got number"),
        (_with(HS, capabilities=["a"]), "'capabilities' must be an object, got array"),
        (_with(HS, capabilities={"ops": "a"}), "capabilities.ops must be an array of strings"),
        (_with(HS, capabilities={"ops": ["a", 2]}), "capabilities.ops[1] must be a non-empty string"),
        (_with(HS, capabilities={"ops": ["a", ""]}), "capabilities.ops[1] must be a non-empty string"),
        (_with(HS, capabilities={"ops": [], "streams": [None]}), "capabilities.streams[0]"),
        (_with(HS, capabilities={"ops": [], "commands": [{"help": "x"}]}), "capabilities.commands[0]"),
        (_with(HS, declares=[1]), "'declares' must be an object"),
    ],
)
def test_handshake_errors_are_precise(frame, expect):
    with pytest.raises(FrameError) as info:
        frames.validate_handshake(frame)
    assert expect in info.value.message


@pytest.mark.parametrize(
    ("frame", "what"),
    [
        (_with(HS, capabilities={}), "no 'capabilities.ops'"),
        (_with(HS, capabilities={"ops": None, "streams": ["logs.follow"]}), "no 'capabilities.ops'"),
        (_with(HS, capabilities=...), "no 'capabilities'"),
        (_with(HS, capabilities=None), "no 'capabilities'"),
    ],
)
def test_a_handshake_without_ops_declares_none_with_a_note(frame, what):
    """The Go devctl reads a missing capabilities.ops as no ops: accepted, with a note naming
    the rule (the host warns, or refuses under --strict)."""
    hs = frames.validate_handshake(frame)
    assert hs.ops == () and hs.frame["capabilities"]["ops"] == []
    assert [code for code, _ in hs.notes] == [frames.NO_OPS] and what in hs.notes[0][1]
    assert hs.frame["capabilities"]["commands"] == []  # the normalized shape stays complete


def test_a_complete_handshake_has_no_notes():
    assert frames.validate_handshake(HS).notes == ()
    assert frames.validate_handshake(_with(HS, capabilities={"ops": []})).notes == ()


# ---- response ----------------------------------------------------------------------------------

def test_response_ok_output_defaults_to_empty():
    r = frames.validate_response({"type": "response", "request_id": "p-1", "ok": True})
    assert (r.request_id, r.ok, r.output, r.error, r.stream_id) == ("p-1", True, {}, None, None)


def test_response_ok_with_stream_id():
    r = frames.validate_response({"type": "response", "request_id": "p-1", "ok": True,
                                  "output": {"stream_id": "s1", "x": 1}})
    assert r.stream_id == "s1" and r.output["x"] == 1


def test_response_error_is_extracted():
    r = frames.validate_response({"type": "response", "request_id": "p-2", "ok": False,
                                  "error": {"code": "E_UNSUPPORTED", "message": "unsupported op"}})
    assert not r.ok and r.error == ("E_UNSUPPORTED", "unsupported op")


@pytest.mark.parametrize(
    ("frame", "expect"),
    [
        ({"type": "event", "request_id": "1", "ok": True}, "expected a response frame"),
        ({"type": "response", "ok": True}, "'request_id' must be a non-empty string, got null"),
        ({"type": "response", "request_id": 7, "ok": True}, "'request_id' must be a non-empty string"),
        ({"type": "response", "request_id": "1"}, "response '1': 'ok' must be true or false, got null"),
        ({"type": "response", "request_id": "1", "ok": "yes"}, "'ok' must be true or false, got string"),
        ({"type": "response", "request_id": "1", "ok": True, "output": []}, "'output' must be an object"),
        ({"type": "response", "request_id": "1", "ok": True, "output": {"stream_id": ""}},
         "'output.stream_id' must be a non-empty string"),
        ({"type": "response", "request_id": "1", "ok": False}, "ok is false but 'error' is null"),
        ({"type": "response", "request_id": "1", "ok": False, "error": {"message": "m"}},
         "'error.code' must be a non-empty string"),
        ({"type": "response", "request_id": "1", "ok": False, "error": {"code": "E"}},
         "'error.message' must be a string"),
    ],
)
def test_response_errors_are_precise(frame, expect):
    with pytest.raises(FrameError) as info:
        frames.validate_response(frame)
    assert expect in info.value.message


# ---- event -------------------------------------------------------------------------------------

def test_event_tick_and_end():
    ev = frames.validate_event({"type": "event", "stream_id": "s1", "event": "log", "message": "hi"})
    assert (ev.stream_id, ev.event, ev.is_end) == ("s1", "log", False)
    end = frames.validate_event({"type": "event", "stream_id": "s1", "event": "end"})
    assert end.is_end and end.ok  # ok defaults to true


def test_event_end_failure_error():
    end = frames.validate_event({"type": "event", "stream_id": "s1", "event": "end", "ok": False,
                                 "error": {"code": "E_X", "message": "gone"}})
    assert not end.ok and end.error == ("E_X", "gone")
    bare = frames.validate_event({"type": "event", "stream_id": "s1", "event": "end", "ok": False})
    assert bare.error[0] == "E_UNKNOWN"


@pytest.mark.parametrize(
    ("frame", "expect"),
    [
        ({"type": "response", "stream_id": "s", "event": "x"}, "expected an event frame"),
        ({"type": "event", "event": "x"}, "event: missing 'stream_id'"),
        ({"type": "event", "stream_id": 1, "event": "x"}, "'stream_id' must be a non-empty string"),
        ({"type": "event", "stream_id": "s"}, "event on stream 's': missing 'event'"),
        ({"type": "event", "stream_id": "s", "event": "end", "ok": "no"}, "'ok' must be true or false"),
    ],
)
def test_event_errors_are_precise(frame, expect):
    with pytest.raises(FrameError) as info:
        frames.validate_event(frame)
    assert expect in info.value.message


# ---- request -----------------------------------------------------------------------------------

def test_build_request_has_ctx_and_validates():
    req = frames.build_request("p-1", "config.mutate", repo_root="/r", cwd="sub", deadline_ms=1500.9,
                               dry_run=True, input={"config": {}})
    assert req == {
        "type": "request", "request_id": "p-1", "op": "config.mutate",
        "ctx": {"repo_root": "/r", "cwd": "sub", "deadline_ms": 1500, "dry_run": True},
        "input": {"config": {}},
    }
    assert frames.validate_request(req) is req
    assert frames.build_request("p-2", "x", repo_root="/r", deadline_ms=-5)["ctx"]["deadline_ms"] == 0
    assert frames.build_request("p-2", "x", repo_root="/r", deadline_ms=1)["input"] == {}


def test_build_request_refuses_caller_bugs():
    with pytest.raises(ValueError):
        frames.build_request("", "op", repo_root="/r", deadline_ms=1)
    with pytest.raises(TypeError):
        frames.build_request("p-1", "op", repo_root="/r", deadline_ms=1, input=[1])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        ({"type": "response"}, "expected a request frame"),
        ({"op": ""}, "'op' must be a non-empty string"),
        ({"ctx": None}, "'ctx' must be an object"),
        ({"ctx": {"repo_root": "/r", "deadline_ms": 1, "dry_run": "no"}}, "'ctx.dry_run'"),
        ({"ctx": {"repo_root": "/r", "deadline_ms": -1, "dry_run": False}}, "'ctx.deadline_ms'"),
        ({"ctx": {"repo_root": "/r", "deadline_ms": True, "dry_run": False}}, "'ctx.deadline_ms'"),
        ({"ctx": {"deadline_ms": 1, "dry_run": False}}, "'ctx.repo_root'"),
        ({"input": "x"}, "'input' must be an object"),
    ],
)
def test_validate_request_errors(change, expect):
    req = frames.build_request("p-1", "op", repo_root="/r", deadline_ms=1)
    req.update(change)
    with pytest.raises(FrameError) as info:
        frames.validate_request(req)
    assert expect in info.value.message


def test_frame_type():
    assert frames.frame_type({"type": "event"}) == "event"
    with pytest.raises(FrameError, match="no 'type'"):
        frames.frame_type({"x": 1})
