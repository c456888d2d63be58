"""The end of a one-shot command: the interpreter's teardown need not search every object.

When a Python process exits, CPython clears its modules and runs the cyclic garbage collector
over everything still alive. After `plan` or a plugin command — the plugin host and the
pipeline imported (and, when this was measured, asyncio and anyio: on the order of 100,000
objects) — that search cost 40-60 ms of CPU on the loaded 2-core box (docs/performance.md,
"P5"), all of it after the command's output was complete, and none of it finds anything worth
freeing: the process is gone a moment later.

`gc.freeze()` moves every object alive now into the permanent generation, which no collection
walks. Nothing else changes: atexit handlers still run, modules are still cleared, objects are
still freed by their reference counts, and what is created after the call is collected as
usual. Call it only when the command is done and the process is about to exit: `cli/main.py`'s
`_run` does, after every command, whatever its outcome.
"""

from __future__ import annotations

import gc


def before_exit() -> None:
    """The command is done: spare the exit's garbage collection the objects alive now."""
    gc.freeze()
