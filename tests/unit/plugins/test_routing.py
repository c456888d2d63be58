"""The host's pure parts: line routing (FrameRouter), stream buffers, the stderr splitter, codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devctl.plugins.codes import ALL_CODES, Failure
from devctl.plugins.router import FrameRouter, Pending
from devctl.plugins.streams import PluginStream, StreamBuffer
from devctl.protocol import frames

DOCS = Path(__file__).resolve().parents[3] / "docs" / "protocol.md"
HS = {"type": "handshake", "protocol_version": "v1", "plugin_name": "p",
      "capabilities": {"ops": ["a"], "streams": ["s"]}}


def line(obj) -> bytes:
    return json.dumps(obj).encode()


def router(warnings=None, **kw) -> FrameRouter:
    r = FrameRouter("p", on_warning=(lambda pid, msg: warnings.append(msg)) if warnings is not None
                    else None, **kw)
    r.on_line(line(HS))
    assert r.failure is None and r.ops == {"a"}
    return r


def wait_for(r: FrameRouter, rid: str, op: str = "a", stream: bool = False) -> Pending:
    p = Pending(op, stream)
    r._pending[rid] = p
    return p


def test_response_goes_to_its_request():
    r = router()
    p1, p2 = wait_for(r, "p-1"), wait_for(r, "p-2")
    r.on_line(line({"type": "response", "request_id": "p-2", "ok": True, "output": {"x": 2}}))
    assert p2.result.output == {"x": 2} and not p1.done


def test_unknown_request_id_fails_waiting_requests():
    r = router()
    p1 = wait_for(r, "p-1")
    r.on_line(line({"type": "response", "request_id": "zzz", "ok": True}))
    assert r.failure is not None and r.failure.code == "E_UNKNOWN_REQUEST_ID"
    assert p1.result is r.failure and "'zzz'" in r.failure.message


def test_unknown_request_id_without_waiting_request_warns():
    warnings: list[str] = []
    r = router(warnings)
    r.on_line(line({"type": "response", "request_id": "zzz", "ok": True}))
    assert r.failure is None and len(warnings) == 1 and "[E_UNKNOWN_REQUEST_ID]" in warnings[0]


def test_late_answer_to_an_abandoned_request_is_quiet():
    warnings: list[str] = []
    r = router(warnings)
    r._abandoned.add("p-1")
    r.on_line(line({"type": "response", "request_id": "p-1", "ok": True}))
    assert r.failure is None and warnings == []


@pytest.mark.parametrize(
    ("raw", "code", "text"),
    [
        (b"hello", "E_CONTAMINATION", "'hello'"),
        (b"[1, 2]", "E_CONTAMINATION", "expected a JSON object"),
        (b'{"type": "handshake"}', "E_BAD_FRAME", "unexpected frame type 'handshake'"),
        (b'{"type": "response", "request_id": "p-1"}', "E_BAD_FRAME", "'ok' must be true or false"),
        (b'{"type": "event", "event": "x"}', "E_BAD_FRAME", "missing 'stream_id'"),
    ],
)
def test_bad_lines_fail_the_plugin(raw, code, text):
    r = router()
    p = wait_for(r, "p-1")
    r.on_line(raw)
    assert r.failure is not None and r.failure.code == code and text in r.failure.message
    assert p.result is r.failure


def test_a_blank_line_is_skipped_with_one_warning_naming_the_rule():
    """The Go devctl skips blank stdout lines: so does devctl, saying so once per plugin."""
    warnings: list[str] = []
    r = router(warnings)
    p = wait_for(r, "p-1")
    for raw in (b"", b"   ", b""):
        r.on_line(raw)
    r.on_line(line({"type": "response", "request_id": "p-1", "ok": True}))
    assert r.failure is None and p.result.ok
    assert len(warnings) == 1 and "[E_BLANK_LINE]" in warnings[0] and "--strict" in warnings[0]


def test_a_blank_line_fails_the_plugin_under_strict():
    r = router(strict=True)
    p = wait_for(r, "p-1")
    r.on_line(b"")
    assert r.failure is not None and r.failure.code == "E_BLANK_LINE" and "--strict" in r.failure.message
    assert p.result is r.failure


def test_a_blank_line_before_the_handshake_is_still_contamination():
    r = FrameRouter("p")
    r.on_line(b"")
    assert r.failure is not None and r.failure.code == "E_CONTAMINATION"
    assert "an empty line" in r.failure.message


def test_a_handshake_without_ops_warns_or_fails_under_strict():
    warnings: list[str] = []
    hs = {**HS, "capabilities": {"streams": ["s"]}}
    r = FrameRouter("p", on_warning=lambda pid, msg: warnings.append(msg))
    r.on_line(line(hs))
    assert r.failure is None and r.ops == frozenset() and r.streams == {"s"}
    assert r.handshake_settled and r.handshake_failure is None
    assert len(warnings) == 1 and "[E_NO_OPS]" in warnings[0] and "capabilities.ops" in warnings[0]
    strict = FrameRouter("p", strict=True)
    strict.on_line(line(hs))
    assert strict.failure is not None and strict.failure.code == "E_NO_OPS"
    assert strict.handshake_failure is strict.failure and strict.handshake == {}


def test_contamination_nobody_asked_about_is_kept_for_the_report():
    idle = router()
    idle.on_line(b"DEBUG ready")
    failure, needed = idle.unreported_failure()
    assert failure.code == "E_CONTAMINATION" and "'DEBUG ready'" in failure.message and needed is False

    served = router()  # it answered a request: the command's result rests on it
    wait_for(served, "p-1")
    served.on_line(line({"type": "response", "request_id": "p-1", "ok": True}))
    served.on_line(b"DEBUG done")
    assert served.unreported_failure()[1] is True

    asked = router()  # a request waited: it got the failure, nothing is left to report
    wait_for(asked, "p-1")
    asked.on_line(b"DEBUG busy")
    assert asked.failure is not None and asked.unreported_failure() is None


def test_events_of_a_stream_devctl_abandoned_are_not_blamed():
    """Ctrl-C while a stream opened: the late response and its events are devctl's doing."""
    warnings: list[str] = []
    r = router(warnings)
    r._abandoned.add("p-1")
    r.on_line(line({"type": "response", "request_id": "p-1", "ok": True, "output": {"stream_id": "w"}}))
    r.on_line(line({"type": "event", "stream_id": "w", "event": "tick"}))
    assert r.failure is None and warnings == []
    r.on_line(line({"type": "event", "stream_id": "other", "event": "tick"}))
    assert len(warnings) == 1 and "[E_UNKNOWN_STREAM]" in warnings[0]


def test_first_line_must_be_handshake():
    r = FrameRouter("p")
    r.on_line(line({"type": "response", "request_id": "1", "ok": True}))
    assert r.failure.code == "E_BAD_HANDSHAKE"
    assert r.handshake_settled and r.handshake_failure is r.failure


def test_stream_routing_and_unknown_stream_warning():
    warnings: list[str] = []
    r = router(warnings)
    p = wait_for(r, "p-1", op="s", stream=True)
    r.on_line(line({"type": "response", "request_id": "p-1", "ok": True, "output": {"stream_id": "s1"}}))
    assert p.buffer is not None
    r.on_line(line({"type": "event", "stream_id": "s1", "event": "tick"}))
    r.on_line(line({"type": "event", "stream_id": "s1", "event": "end"}))
    r.on_line(line({"type": "event", "stream_id": "s1", "event": "tick"}))  # after end
    r.on_line(line({"type": "event", "stream_id": "s1", "event": "tick"}))  # warned once only
    assert p.buffer.buffered == 2 and p.buffer.finished
    assert len(warnings) == 1 and "[E_UNKNOWN_STREAM]" in warnings[0]


def test_failure_reaches_open_streams():
    r = router()
    p = wait_for(r, "p-1", op="s", stream=True)
    r.on_line(line({"type": "response", "request_id": "p-1", "ok": True, "output": {"stream_id": "s1"}}))
    r.on_line(b"oops")
    assert p.buffer.finished and p.buffer.buffered == 1  # the failure marker


# ---- stream buffer -----------------------------------------------------------------------------

def _never_waits(ready) -> None:  # noqa: ANN001
    raise AssertionError("a stream whose buffer is finished must not wait for the pipes")


def stream_of(buf: StreamBuffer, details=list) -> PluginStream:  # noqa: ANN001
    return PluginStream("p", buf, details, _never_waits)


def _drain(stream: PluginStream):
    return list(stream)


def test_stream_buffer_delivers_in_order_then_stops():
    buf = StreamBuffer("s1", "op")
    for i in range(5):
        buf.push({"event": "tick", "n": i}, 10)
    buf.push({"event": "end"}, 10, is_end=True)
    buf.push({"event": "late"}, 10)
    assert buf.dropped == 1
    events = _drain(stream_of(buf))
    assert [e.get("n") for e in events] == [0, 1, 2, 3, 4, None]


@pytest.mark.parametrize(("max_events", "max_bytes", "sizes"), [(3, 10**6, [1] * 4), (100, 25, [10, 10, 10])])
def test_stream_buffer_bound_by_count_and_bytes(max_events, max_bytes, sizes):
    buf = StreamBuffer("s1", "op", max_events=max_events, max_bytes=max_bytes)
    for size in sizes:
        buf.push({"event": "tick"}, size)
    assert buf.finished and buf.buffered == 1
    with pytest.raises(Exception) as info:
        _drain(stream_of(buf, lambda: ["detail"]))
    assert info.value.code == "E_STREAM_OVERFLOW" and info.value.details == ["detail"]


def test_stream_end_ok_false_raises_after_earlier_events():
    buf = StreamBuffer("s1", "op")
    buf.push({"event": "log"}, 1)
    buf.push({"event": "end", "ok": False}, 1, is_end=True, end_error=("E_X", "broke"))
    got = []

    with pytest.raises(Exception) as info:
        for ev in stream_of(buf):
            got.append(ev)
    assert got == [{"event": "log"}] and info.value.code == "E_STREAM_FAILED"
    assert "E_X: broke" in info.value.message


def test_stream_closed_by_subscriber_drops_quietly():
    buf = StreamBuffer("s1", "op")
    stream = stream_of(buf)
    stream.close()
    buf.push({"event": "tick"}, 1)
    assert buf.dropped == 1 and _drain(stream) == []


# ---- codes and docs ----------------------------------------------------------------------------

def test_every_error_code_is_documented():
    text = DOCS.read_text()
    missing = [code for code in ALL_CODES if f"`{code}`" not in text]
    assert not missing, f"docs/protocol.md lacks {missing}"


def test_failure_error_carries_code_in_message():
    err = Failure("E_TIMEOUT", "no answer").error("x", op="config.mutate", details=["x | l"])
    assert err.message == "plugin 'x' [E_TIMEOUT]: no answer (while running op 'config.mutate')"
    assert (err.code, err.op, err.details, err.exit_code) == ("E_TIMEOUT", "config.mutate", ["x | l"], 1)


def test_handshake_validation_is_shared_with_router():
    # The router keeps exactly what frames.validate_handshake returns.
    r = router()
    assert r.handshake == frames.validate_handshake(HS).frame and r.streams == {"s"}
