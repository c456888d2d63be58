"""Supervisor events: appended to `.devctl/events.ndjson` and handed to in-process listeners.

The file append is one `write(2)` of one line on an `O_APPEND` descriptor, so concurrent
readers never see a torn line. Listeners (e.g. the dotagent `NotifierBridge`) may be slow or
buggy; they run on a worker thread fed by a queue, so a listener never delays a restart or a
health check, and an exception in one is logged to the supervisor log and ignored
(contract: docs/dev/contracts.md, "Supervisor events").
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from devctl.protocol.ndjson import encode

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: imported while `up` plans (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any

    Listener = Callable[[dict[str, Any]], None]
_STOP = object()


class EventLog:
    def __init__(
        self, path: Path, listeners: list[Listener] | None = None, clock: Callable[[], float] = time.time
    ):
        self.path = path
        self._clock = clock
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._listeners = list(listeners or [])
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._subscribers: list[Callable[[dict[str, Any]], None]] = []
        self._worker: threading.Thread | None = None
        if self._listeners:
            self._worker = threading.Thread(target=self._drain, name="event-listeners", daemon=True)
            self._worker.start()

    def emit(self, service: str | None, event: str, **extra: Any) -> dict[str, Any]:
        record = {"ts": round(self._clock(), 6), "service": service, "event": event, **extra}
        with contextlib.suppress(OSError):  # a full disk must not end the supervisor
            os.write(self._fd, encode(record))
        if self._worker is not None:
            self._queue.put(record)
        for sub in list(self._subscribers):
            sub(record)
        return record

    def subscribe(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """In-loop subscriber (the control socket's `watch`); returns the unsubscribe function.

        Subscribers run synchronously and must only enqueue.
        """
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def close(self, timeout: float = 5.0) -> None:
        """Flush listeners (bounded) and close the file."""
        if self._worker is not None:
            self._queue.put(_STOP)
            self._worker.join(timeout)
            self._worker = None
        for listener in self._listeners:
            # Listeners with workers of their own (dotagent's NotifierBridge) flush and stop
            # them here, before the daemon exits with os._exit.
            closer = getattr(listener, "close", None)
            if callable(closer):
                try:
                    closer()
                except Exception:  # noqa: BLE001 - shutdown goes on whatever a listener does
                    import traceback  # here: ~5 ms of import the supervisor's start does not need

                    sys.stderr.write(f"listener {listener!r} failed to close:\n{traceback.format_exc()}")
        os.close(self._fd)

    def _drain(self) -> None:
        while True:
            record = self._queue.get()
            if record is _STOP:
                return
            for listener in self._listeners:
                try:
                    listener(record)
                except Exception:  # noqa: BLE001 - a listener must not take the supervisor down
                    import traceback

                    sys.stderr.write(f"event listener {listener!r} failed:\n{traceback.format_exc()}")
                    sys.stderr.flush()

