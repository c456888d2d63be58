"""Stream events: buffered per stream, delivered in order to one subscriber until `event: end`.

The stdout reader must never block (it also carries responses for other requests), so events
are queued here, not pushed to the subscriber. The subscriber pulls: iterating a `PluginStream`
takes the next queued event, and only when none is queued does it wait on the reactor, which
reads the plugins' pipes. A subscriber that is slow therefore slows the plugin down (its stdout
pipe fills) instead of growing the queue. The queue is still bounded, for events that arrive
while devctl waits for something else: when the bound is hit the stream fails with
E_STREAM_OVERFLOW (its queued events are dropped) — a loud failure is better than silently
losing events from the middle of a log.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from devctl.plugins.codes import E_STREAM_FAILED, E_STREAM_OVERFLOW, Failure

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any

#: Bound on events waiting for the subscriber (received, not yet consumed).
MAX_BUFFERED_EVENTS = 10_000
#: Bound on the bytes of those events (their stdout lines).
MAX_BUFFERED_BYTES = 16 * 1024 * 1024


class StreamBuffer:
    """The host side of one stream: the reader pushes, the subscriber pulls.

    The queue holds event frames in arrival order and, last, at most one terminal `Failure`.
    After the `end` event (or a failure) nothing more is accepted.
    """

    def __init__(self, stream_id: str, op: str, *, max_events: int = MAX_BUFFERED_EVENTS,
                 max_bytes: int = MAX_BUFFERED_BYTES):
        self.stream_id = stream_id
        self.op = op
        self.max_events = max_events
        self.max_bytes = max_bytes
        self._queue: deque[tuple[dict[str, Any] | Failure, int]] = deque()
        self._bytes = 0
        self._finished = False  # end or failure queued: accept nothing more
        self.closed = False  # the subscriber let go
        self.dropped = 0  # events that arrived after end/failure/close

    @property
    def buffered(self) -> int:
        return len(self._queue)

    @property
    def finished(self) -> bool:
        return self._finished

    def push(self, frame: dict[str, Any], size: int, *, is_end: bool = False,
             end_error: tuple[str, str] | None = None) -> None:
        """Queue one event (reader side). `is_end` closes the stream; `end_error` makes it fail."""
        if self._finished or self.closed:
            self.dropped += 1
            return
        if len(self._queue) >= self.max_events or self._bytes + size > self.max_bytes:
            held = len(self._queue)
            self._queue.clear()
            self._bytes = 0
            self._finish(Failure(
                E_STREAM_OVERFLOW,
                f"stream {self.stream_id!r} of op {self.op!r} overflowed: {held} events were waiting "
                f"for the subscriber (bound: {self.max_events} events or {self.max_bytes} bytes); "
                "the buffered events were dropped",
            ))
            return
        if is_end and end_error is not None:
            code, message = end_error
            self._finish(Failure(
                E_STREAM_FAILED,
                f"stream {self.stream_id!r} of op {self.op!r} ended with ok:false: {code}: {message}",
            ))
            return
        self._queue.append((frame, size))
        self._bytes += size
        if is_end:
            self._finished = True

    def fail(self, failure: Failure) -> None:
        """End the stream with `failure` after the events already queued (the plugin died, ...)."""
        if not self._finished and not self.closed:
            self._finish(failure)

    def _finish(self, failure: Failure) -> None:
        self._queue.append((failure, 0))
        self._finished = True

    @property
    def ready(self) -> bool:
        """Whether `get` answers without waiting: an item is queued, or nothing more will come."""
        return bool(self._queue) or self._finished or self.closed

    def get(self) -> dict[str, Any] | Failure | None:
        """Next event, or the terminal Failure, or None once the `end` event was consumed (or
        nothing is queued yet: the caller waits until `ready`)."""
        if not self._queue:
            return None
        item, size = self._queue.popleft()
        self._bytes -= size
        return item

    def close(self) -> None:
        self.closed = True
        self._queue.clear()
        self._bytes = 0


class PluginStream:
    """Iterator over a stream's event frames (dicts), in order, ending after `event: end`.

    The `end` event itself is yielded when it says ok; an `end` with ok:false raises
    PluginError [E_STREAM_FAILED] after the events before it were delivered. If the plugin dies
    first, iteration raises the plugin's failure (E_CRASHED, E_CONTAMINATION, ...).
    """

    def __init__(self, plugin_id: str, buffer: StreamBuffer, details: Callable[[], list[str]],
                 wait: Callable[[Callable[[], bool]], object]):
        self.plugin_id = plugin_id
        self.stream_id = buffer.stream_id
        self.op = buffer.op
        self._buffer = buffer
        self._details = details
        self._wait = wait  # runs the reactor until the predicate holds

    @property
    def buffered(self) -> int:
        """Events received and not yet consumed (useful to tests and progress displays)."""
        return self._buffer.buffered

    @property
    def finished(self) -> bool:
        """True once nothing more will be queued: `end` arrived, or the stream failed."""
        return self._buffer.finished

    def __iter__(self) -> PluginStream:
        return self

    def __next__(self) -> dict[str, Any]:
        buffer = self._buffer
        if not buffer.ready:
            self._wait(lambda: buffer.ready)
        item = buffer.get()
        if item is None:
            raise StopIteration
        if isinstance(item, Failure):
            # A plugin that dies mid-stream ("exited with code 0") is only clear with the op
            # named; an ok:false end already names its stream and op.
            op = None if item.code == E_STREAM_FAILED else self.op
            raise item.error(self.plugin_id, op=op, details=self._details())
        return item

    def close(self) -> None:
        """Stop listening. Later events for this stream are discarded (the plugin is not told:
        protocol v1 has no cancel frame)."""
        self._buffer.close()

    def __enter__(self) -> PluginStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
