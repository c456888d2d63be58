"""Frame validation for the devctl NDJSON protocol v1. Pure: dicts in, clean data or `FrameError` out.

The plugin host decodes a stdout line with `devctl.protocol.ndjson.decode` and hands the object
here. Keeping the rules in plain functions means every "what is a valid frame" decision is unit
tested without a process, and the host only has to map a `FrameError` to a user-facing error.

Stance: strict on shape and types (a wrong type is a bug in the plugin that the author wants to
hear about), forgiving where the spec is silent (unknown extra keys are kept and ignored). Where
the Go devctl accepts what the spec does not (a handshake without `capabilities.ops`), the frame
is accepted and the deviation is returned as a *note* naming its rule: the host turns a note into
a warning, or into an error under `--strict`.
"""

from __future__ import annotations

from collections import namedtuple

from devctl.protocol.ndjson import FrameError

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any, NamedTuple

PROTOCOL_VERSION = "v1"
#: Rule: a handshake without `capabilities.ops` (or without `capabilities`) declares no ops.
NO_OPS = "E_NO_OPS"
#: The event that closes a stream.
END_EVENT = "end"


# The three results below are named tuples, not frozen dataclasses: as immutable, but built
# without compiling six methods each from source (~1.5 ms a class on the 2-core box), and every
# plugin command and pipeline run imports this module before it can talk to a plugin. Their
# fields are typed for type checkers (`typing.NamedTuple`) and made at run time by
# `collections.namedtuple`, which needs no `typing` and compiles no annotation
# (tests/unit/test_runtime_shapes.py keeps the two field lists equal).

if TYPE_CHECKING:
    class _HandshakeFields(NamedTuple):
        plugin_name: str
        ops: tuple[str, ...]
        streams: tuple[str, ...]
        commands: tuple[str, ...]
        declares: dict[str, Any]
        frame: dict[str, Any]
        notes: tuple[tuple[str, str], ...] = ()

    class _ResponseFields(NamedTuple):
        request_id: str
        ok: bool
        output: dict[str, Any]
        #: `(code, message)` when ok is false.
        error: tuple[str, str] | None = None

    class _EventFields(NamedTuple):
        stream_id: str
        event: str
        frame: dict[str, Any]
else:
    _HandshakeFields = namedtuple("Handshake", "plugin_name ops streams commands declares frame notes",
                                  defaults=((),))
    _ResponseFields = namedtuple("Response", "request_id ok output error", defaults=(None,))
    _EventFields = namedtuple("Event", "stream_id event frame")


class Handshake(_HandshakeFields):
    """A validated handshake. `frame` is the normalized frame (capabilities lists always present).

    `notes` are the tolerated deviations, `(rule code, message)`: accepted as the Go devctl does,
    reported by the host as warnings (errors under `--strict`).
    """

    __slots__ = ()


class Response(_ResponseFields):
    """A validated response: `output` on success, `error` as `(code, message)` on failure."""

    __slots__ = ()

    @property
    def stream_id(self) -> str | None:
        sid = self.output.get("stream_id")
        return sid if isinstance(sid, str) and sid else None


class Event(_EventFields):
    """A validated stream event."""

    __slots__ = ()

    @property
    def is_end(self) -> bool:
        return self.event == END_EVENT

    @property
    def ok(self) -> bool:
        """For an `end` event: did the stream succeed? (`ok` defaults to true when absent.)"""
        return self.frame.get("ok", True) is not False

    @property
    def error(self) -> tuple[str, str]:
        """For a failed `end` event: `(code, message)`, with placeholders if the plugin gave none."""
        err = self.frame.get("error")
        if isinstance(err, dict):
            return (str(err.get("code") or "E_UNKNOWN"), str(err.get("message") or "stream failed"))
        return ("E_UNKNOWN", str(self.frame.get("message") or "stream ended with ok:false"))


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return f"string {value[:40]!r}"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _need_str(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if value is None:
        raise FrameError(f"{where}: missing {key!r}")
    if not isinstance(value, str) or not value:
        raise FrameError(f"{where}: {key!r} must be a non-empty string, got {_type_name(value)}")
    return value


def _str_list(value: Any, path: str, *, allow_named: bool = False) -> tuple[str, ...]:
    """A list of non-empty strings; with `allow_named`, `{"name": ...}` items count as their name."""
    if not isinstance(value, list):
        raise FrameError(f"handshake: {path} must be an array of strings, got {_type_name(value)}")
    out: list[str] = []
    for i, item in enumerate(value):
        if allow_named and isinstance(item, dict) and isinstance(item.get("name"), str):
            item = item["name"]
        if not isinstance(item, str) or not item:
            raise FrameError(f"handshake: {path}[{i}] must be a non-empty string, got {_type_name(item)}")
        out.append(item)
    return tuple(out)


def frame_type(obj: dict[str, Any]) -> str:
    """The frame's `type`, or FrameError if it has none."""
    t = obj.get("type")
    if not isinstance(t, str) or not t:
        raise FrameError(f"frame has no 'type' (got {_type_name(t)})")
    return t


def validate_handshake(obj: dict[str, Any]) -> Handshake:
    """Check the first stdout frame: type, protocol_version "v1", plugin_name, capabilities.

    A missing (or null) `capabilities` or `capabilities.ops` means "no ops", with a note
    (`NO_OPS`): the Go devctl reads it that way, and a plugin that only streams or only offers
    commands needs no ops. Any other wrong type is still an error.
    """
    t = obj.get("type")
    if t != "handshake":
        raise FrameError(f"first frame must be a handshake, got type {_type_name(t)}")
    version = obj.get("protocol_version")
    if version is None:
        raise FrameError("handshake: missing 'protocol_version'")
    if version != PROTOCOL_VERSION:
        raise FrameError(
            f"handshake: protocol_version {_type_name(version)} is not supported (devctl speaks "
            f"{PROTOCOL_VERSION!r})"
        )
    name = _need_str(obj, "plugin_name", "handshake")
    notes: list[tuple[str, str]] = []
    caps = obj.get("capabilities")
    if caps is None:
        caps = {}
        notes.append((NO_OPS, "the handshake has no 'capabilities', so the plugin declares no ops"))
    elif not isinstance(caps, dict):
        raise FrameError(f"handshake: 'capabilities' must be an object, got {_type_name(caps)}")
    elif caps.get("ops") is None:
        notes.append((NO_OPS, "the handshake has no 'capabilities.ops', so the plugin declares no ops "
                      "(write \"ops\": [] to say so)"))
    ops = _str_list(caps.get("ops") or [], "capabilities.ops")
    streams = _str_list(caps.get("streams") or [], "capabilities.streams")
    commands = _str_list(caps.get("commands") or [], "capabilities.commands", allow_named=True)
    declares = obj.get("declares") or {}
    if not isinstance(declares, dict):
        raise FrameError(f"handshake: 'declares' must be an object, got {_type_name(declares)}")
    frame = dict(obj)
    frame["capabilities"] = {
        **caps,
        "ops": list(ops),
        "streams": list(streams),
        "commands": list(commands),
    }
    frame["declares"] = declares
    return Handshake(name, ops, streams, commands, declares, frame, tuple(notes))


def validate_response(obj: dict[str, Any]) -> Response:
    """Check a response frame. `output` defaults to {}; `ok:false` needs `error.code` and `.message`."""
    if obj.get("type") != "response":
        raise FrameError(f"expected a response frame, got type {_type_name(obj.get('type'))}")
    rid = obj.get("request_id")
    if not isinstance(rid, str) or not rid:
        raise FrameError(f"response: 'request_id' must be a non-empty string, got {_type_name(rid)}")
    ok = obj.get("ok")
    if not isinstance(ok, bool):
        raise FrameError(f"response {rid!r}: 'ok' must be true or false, got {_type_name(ok)}")
    output = obj.get("output")
    if output is None:
        output = {}
    elif not isinstance(output, dict):
        raise FrameError(f"response {rid!r}: 'output' must be an object, got {_type_name(output)}")
    if "stream_id" in output:
        sid = output["stream_id"]
        if not isinstance(sid, str) or not sid:
            raise FrameError(
                f"response {rid!r}: 'output.stream_id' must be a non-empty string, got {_type_name(sid)}"
            )
    if ok:
        return Response(rid, True, output)
    err = obj.get("error")
    if not isinstance(err, dict):
        raise FrameError(f"response {rid!r}: ok is false but 'error' is {_type_name(err)}, not an object")
    code = err.get("code")
    message = err.get("message")
    if not isinstance(code, str) or not code:
        raise FrameError(f"response {rid!r}: 'error.code' must be a non-empty string, got {_type_name(code)}")
    if not isinstance(message, str):
        raise FrameError(f"response {rid!r}: 'error.message' must be a string, got {_type_name(message)}")
    return Response(rid, False, output, (code, message))


def validate_event(obj: dict[str, Any]) -> Event:
    """Check an event frame: `stream_id` and `event` are non-empty strings; `ok` (on end) a boolean."""
    if obj.get("type") != "event":
        raise FrameError(f"expected an event frame, got type {_type_name(obj.get('type'))}")
    sid = _need_str(obj, "stream_id", "event")
    name = _need_str(obj, "event", f"event on stream {sid!r}")
    if "ok" in obj and not isinstance(obj["ok"], bool):
        raise FrameError(f"event {name!r} on stream {sid!r}: 'ok' must be true or false, got "
                         f"{_type_name(obj['ok'])}")
    return Event(sid, name, obj)


def build_request(
    request_id: str,
    op: str,
    *,
    repo_root: str,
    cwd: str = "",
    deadline_ms: int,
    dry_run: bool = False,
    input: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The request frame devctl sends. Validated on the way in so a caller bug never reaches a plugin."""
    if not request_id or not op:
        raise ValueError("request_id and op must be non-empty")
    if input is not None and not isinstance(input, dict):
        raise TypeError(f"request input must be a dict, got {type(input).__name__}")
    return {
        "type": "request",
        "request_id": request_id,
        "op": op,
        "ctx": {
            "repo_root": repo_root,
            "cwd": cwd,
            "deadline_ms": max(0, int(deadline_ms)),
            "dry_run": bool(dry_run),
        },
        "input": input if input is not None else {},
    }


def validate_request(obj: dict[str, Any]) -> dict[str, Any]:
    """Check a request frame (what a plugin receives). Used by tests and by plugin-side helpers."""
    if obj.get("type") != "request":
        raise FrameError(f"expected a request frame, got type {_type_name(obj.get('type'))}")
    rid = _need_str(obj, "request_id", "request")
    _need_str(obj, "op", f"request {rid!r}")
    ctx = obj.get("ctx")
    if not isinstance(ctx, dict):
        raise FrameError(f"request {rid!r}: 'ctx' must be an object, got {_type_name(ctx)}")
    if not isinstance(ctx.get("repo_root"), str):
        raise FrameError(f"request {rid!r}: 'ctx.repo_root' must be a string")
    if not isinstance(ctx.get("cwd", ""), str):
        raise FrameError(f"request {rid!r}: 'ctx.cwd' must be a string")
    dl = ctx.get("deadline_ms")
    if not isinstance(dl, int) or isinstance(dl, bool) or dl < 0:
        raise FrameError(f"request {rid!r}: 'ctx.deadline_ms' must be a non-negative integer")
    if not isinstance(ctx.get("dry_run"), bool):
        raise FrameError(f"request {rid!r}: 'ctx.dry_run' must be true or false")
    inp = obj.get("input", {})
    if not isinstance(inp, dict):
        raise FrameError(f"request {rid!r}: 'input' must be an object, got {_type_name(inp)}")
    return obj
