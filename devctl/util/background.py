"""Start a blocking call in a thread now, take its result later.

Why: a few start-up checks wait in the kernel rather than on the CPU (the first read of
`/proc/locks` waits 5-18 ms for a synchronisation step), and both `up` and the supervisor have
other work to do meanwhile (importing the plugin host, naming the process). One helper for both,
so the result and the exception come back the same way. Stdlib only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")


def in_background(fn: Callable[..., T], *args: Any, name: str) -> Callable[[], T]:
    """Start `fn(*args)` in a daemon thread called `name`; the function returned waits for it
    and returns its result, or raises its exception in the caller's thread."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()

    def result() -> T:
        thread.join()
        if "error" in box:
            raise box["error"]
        value: T = box["value"]
        return value

    return result
