"""What each stdout line does to a plugin's state: the host's protocol rules, without any I/O.

`FrameRouter` owns the per-plugin bookkeeping (handshake, requests waiting by request_id, open
streams, the first failure, warnings) and turns one stdout line into one state change. It is
synchronous and touches no process and no event loop, so `PluginClient` (which adds the pipes,
the selector loop and the timers) stays small and the rules are easy to read in one place:

* the first line must be a valid handshake, anything else fails the plugin; a handshake without
  capabilities.ops is read as "no ops" with a warning (E_NO_OPS), as the Go devctl reads it;
* after it, a blank line is skipped with a warning (E_BLANK_LINE), as the Go devctl skips it;
* every other line must be a JSON object (else E_CONTAMINATION) and a valid response or event
  frame (else E_BAD_FRAME);
* the tolerated deviations (E_NO_OPS, E_BLANK_LINE) fail the plugin under `strict` instead;
* a response goes to the request waiting for its request_id. An unknown request_id while some
  request waits means the plugin is out of step: it fails (E_UNKNOWN_REQUEST_ID) and the waiting
  requests get that error. With nothing waiting it is a warning: there is no request to blame;
* an event goes to its stream's bounded buffer; an event for a stream that is not open is a
  warning (once per stream id) — except for a stream whose request devctl abandoned (Ctrl-C
  while it was opening) or once devctl stopped listening: those events are devctl's doing.

A failure nobody was told about (the plugin wrote junk while no request waited) is kept with
whether devctl needed the plugin at that moment (`unreported_failure`), so whoever owns the
plugin's lifetime can report it at the end: contamination is never silent.
"""

from __future__ import annotations

from collections.abc import Callable

from devctl.plugins.codes import (
    E_BAD_FRAME,
    E_BAD_HANDSHAKE,
    E_BLANK_LINE,
    E_CLOSED,
    E_CONTAMINATION,
    E_CRASHED,
    E_TIMEOUT,
    E_UNKNOWN_REQUEST_ID,
    E_UNKNOWN_STREAM,
    Failure,
)
from devctl.plugins.streams import MAX_BUFFERED_EVENTS, StreamBuffer
from devctl.protocol import frames
from devctl.protocol.ndjson import FrameError, NonFiniteNumber, decode, quote
from devctl.util.lazylog import LazyLogger

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any

log = LazyLogger("devctl.plugins")

OnWarning = Callable[[str, str], None]

#: Failures that are reported when they happen (a timeout raises in the request that timed out;
#: closing is devctl's own doing; a crash of an idle plugin is not a protocol violation).
_NOT_LEFT_OVER = (E_CLOSED, E_CRASHED, E_TIMEOUT)
#: Appended to a tolerated deviation's warning.
_TOLERATED = "accepted, as the Go devctl does; --strict makes it an error"


class Pending:
    """A request sent and not yet answered. `result` becomes a `frames.Response` or a `Failure`
    (`done` then says so); whoever waits for it polls `done` between reads of the pipes."""

    __slots__ = ("buffer", "done", "op", "result", "stream")

    def __init__(self, op: str, stream: bool = False):
        self.op = op
        self.stream = stream
        self.buffer: StreamBuffer | None = None
        self.done = False
        self.result: Any = None

    def settle(self, result: Any) -> None:
        """Give the request its answer (the first one wins)."""
        if not self.done:
            self.done = True
            self.result = result


class FrameRouter:
    """Per-plugin protocol state, fed one stdout line at a time by `on_line`."""

    def __init__(self, plugin_id: str, *, on_warning: OnWarning | None = None,
                 stream_buffer: int = MAX_BUFFERED_EVENTS, strict: bool = False):
        self.plugin_id = plugin_id
        #: --strict: the deviations the Go devctl tolerates (E_NO_OPS, E_BLANK_LINE) fail the plugin.
        self.strict = strict
        #: Responses that reached the request waiting for them.
        self.answered = 0
        self.handshake: dict[str, Any] = {}
        self.ops: frozenset[str] = frozenset()
        self.streams: frozenset[str] = frozenset()
        self.commands: list[str] = []
        #: The handshake exactly as the plugin sent it: `handshake` is normalized and keeps only
        #: names in capabilities.commands; a command's `help` (object form) is read from here.
        self.handshake_sent: dict[str, Any] = {}
        #: Every warning reported about this plugin (also passed to on_warning, or logged).
        self.warnings: list[str] = []
        self._on_warning = on_warning
        self._stream_bound = stream_buffer
        self._pending: dict[str, Pending] = {}
        self._abandoned: set[str] = set()  # requests whose caller was cancelled: late answers are fine
        self._streams: dict[str, StreamBuffer] = {}
        self._warned_streams: set[str] = set()
        self._ignored_streams: set[str] = set()  # opened by a request devctl abandoned
        self._warned_blank = False
        #: The handshake is settled: it was valid, or the plugin failed before it was (then
        #: `handshake_failure` says why; a failure after a valid handshake is not one).
        self.handshake_settled = False
        self.handshake_failure: Failure | None = None
        self._failure: Failure | None = None
        self._failure_needed = False  # devctl relied on the plugin when the failure happened
        self._failure_told = False  # the failure reached a caller (raised to a request or stream)

    @property
    def failure(self) -> Failure | None:
        """Why this plugin can no longer be used (None while it is healthy)."""
        return self._failure

    def supports(self, op: str) -> bool:
        """Did the handshake declare `op` (in capabilities.ops or capabilities.streams)?

        Declaring a command in capabilities.commands declares `command.run` too: the protocol
        document's own example lists `commands` without `command.run` in `ops`."""
        return op in self.ops or op in self.streams or (op == "command.run" and bool(self.commands))

    def _listening(self) -> bool:
        """Whether devctl still reads this plugin's answers (the client says no once it closes)."""
        return True

    def _needed(self) -> bool:
        """Does devctl rely on this plugin right now: a request waits, a stream is open, or it has
        already answered a request (a phase's result came from it)?"""
        if not self._listening():
            return False
        return bool(self._pending) or self.answered > 0 or any(
            not b.finished and not b.closed for b in self._streams.values())

    def _fail(self, failure: Failure) -> None:
        """Mark the plugin failed (the first failure wins) and answer everything that waits on it."""
        if self._failure is not None:
            return
        self._failure = failure
        self._failure_needed = self._needed()
        if not self.handshake_settled:
            self.handshake_settled = True
            self.handshake_failure = failure
            self._failure_told = True  # start_plugin raises it
        for pending in self._pending.values():
            if not pending.done:
                pending.settle(failure)
                self._failure_told = True
        self._pending.clear()
        for buffer in self._streams.values():
            if not buffer.finished and not buffer.closed:
                self._failure_told = True
            buffer.fail(failure)

    def unreported_failure(self) -> tuple[Failure, bool] | None:
        """The failure no request or stream was told about, with whether devctl needed the plugin
        when it happened; None when there is none (or it is one that reports itself)."""
        failure = self._failure
        if failure is None or self._failure_told or failure.code in _NOT_LEFT_OVER:
            return None
        return failure, self._failure_needed

    def _tolerate(self, code: str, message: str) -> None:
        """A deviation the Go devctl accepts: a warning naming the rule, or a failure under strict."""
        if self.strict:
            self._fail(Failure(code, f"{message} (an error under --strict; without it, a warning)"))
        else:
            self._warn(code, f"{message} ({_TOLERATED})")

    def _warn(self, code: str, message: str) -> None:
        text = f"plugin {self.plugin_id!r} [{code}]: {message}"
        self.warnings.append(text)
        if self._on_warning is None:
            log.warning("%s", text)
            return
        try:
            self._on_warning(self.plugin_id, text)
        except Exception:
            log.exception("on_warning callback failed")

    def on_line(self, line: bytes) -> None:
        """Route one complete stdout line (without its newline)."""
        if self.handshake_settled and not line.strip():
            if self.strict:
                self._tolerate(E_BLANK_LINE, "wrote a blank line on stdout")
            elif not self._warned_blank:  # once per plugin: some write one after every frame
                self._warned_blank = True
                self._tolerate(E_BLANK_LINE, "wrote a blank line on stdout; blank lines are skipped "
                               "(this warning is shown once per plugin)")
            return
        try:
            obj = decode(line)
        except NonFiniteNumber as exc:  # a frame with NaN in it: invalid JSON, not stray output
            self._fail(Failure(E_BAD_FRAME, f"{exc.message}; the line: {exc.line!r}"))
            return
        except FrameError as exc:
            when = "" if self.handshake_settled else " before its handshake"
            what = ("an empty line" if exc.message == "empty line"
                    else f"a line that is not a JSON object ({exc.message})")
            self._fail(Failure(E_CONTAMINATION, f"stdout is for protocol frames only, but it wrote "
                               f"{what}{when}: {exc.line!r}"))
            return
        if not self.handshake_settled:
            self._on_handshake(obj, line)
            return
        kind = obj.get("type")
        try:
            if kind == "response":
                self._on_response(frames.validate_response(obj))
            elif kind == "event":
                self._on_event(frames.validate_event(obj), obj, len(line))
            else:
                raise FrameError(f"unexpected frame type {kind!r} (after the handshake a plugin writes "
                                 "only 'response' and 'event' frames)")
        except FrameError as exc:
            self._fail(Failure(E_BAD_FRAME, f"{exc.message}; the line: {quote(line)!r}"))

    def _on_handshake(self, obj: dict[str, Any], line: bytes) -> None:
        try:
            hs = frames.validate_handshake(obj)
        except FrameError as exc:
            self._fail(Failure(E_BAD_HANDSHAKE, f"{exc.message}; the first stdout line: {quote(line)!r}"))
            return
        for code, message in hs.notes:
            self._tolerate(code, message)
        if self._failure is not None:
            return
        self.handshake = hs.frame
        self.ops = frozenset(hs.ops)
        self.streams = frozenset(hs.streams)
        self.commands = list(hs.commands)
        self.handshake_sent = obj
        self.handshake_settled = True

    def _on_response(self, resp: frames.Response) -> None:
        pending = self._pending.pop(resp.request_id, None)
        if pending is None:
            if resp.request_id in self._abandoned and resp.ok and resp.stream_id is not None:
                # A stream devctl gave up on while it opened (Ctrl-C): its events are expected.
                self._ignored_streams.add(resp.stream_id)
            self._unknown_response(resp.request_id)
            return
        self.answered += 1
        if pending.stream and resp.ok and resp.stream_id is not None:
            sid = resp.stream_id
            current = self._streams.get(sid)
            if current is not None and not current.finished and not current.closed:
                self._fail(Failure(E_BAD_FRAME, f"response {resp.request_id!r} opened stream {sid!r}, "
                                   "which is still open"))
                return
            pending.buffer = StreamBuffer(sid, pending.op, max_events=self._stream_bound)
            self._streams[sid] = pending.buffer
        pending.settle(resp)

    def _unknown_response(self, rid: str) -> None:
        if rid in self._abandoned:
            self._abandoned.discard(rid)  # its caller was cancelled: a late answer is expected
            return
        if self._pending:
            waiting = ", ".join(repr(r) for r in self._pending)
            self._fail(Failure(E_UNKNOWN_REQUEST_ID, f"answered request_id {rid!r}, which devctl did not "
                               f"send or had already got an answer for, while devctl waited for {waiting}; "
                               "the plugin is out of step with devctl"))
        else:
            self._warn(E_UNKNOWN_REQUEST_ID, f"answered request_id {rid!r}, which devctl did not send or "
                       "had already got an answer for (no request was waiting; the response was ignored)")

    def _on_event(self, ev: frames.Event, obj: dict[str, Any], size: int) -> None:
        buffer = self._streams.get(ev.stream_id)
        if buffer is None:
            if ev.stream_id in self._ignored_streams or not self._listening():
                return  # devctl stopped reading it: nothing to blame the plugin for
            if ev.stream_id not in self._warned_streams:
                self._warned_streams.add(ev.stream_id)
                self._warn(E_UNKNOWN_STREAM, f"sent event {ev.event!r} for stream {ev.stream_id!r}, which is "
                           "not open (never opened, or already ended); further events for it are ignored")
            return
        buffer.push(obj, size, is_end=ev.is_end, end_error=None if ev.ok else ev.error)
        if ev.is_end:
            del self._streams[ev.stream_id]
