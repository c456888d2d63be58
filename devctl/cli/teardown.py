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


#: True when devctl runs as the program (`main()` from the `devctl` script or `python -m
#: devctl`); code that calls `main([...])` itself must get its SystemExit back (cli/main.py).
as_program = False


def exit_at_once(code: int) -> None:
    """End the process now, without the interpreter's teardown (clearing every module: ~5 ms
    of CPU at the end of `down` and `status`, more after `plan` and `up`, the commands that call
    this through cli/fastpath.py), when nothing needs it: devctl runs as the program, this is
    the only thread, and no atexit handler is registered. stdout and stderr are flushed first,
    as the teardown would; if that fails, this returns and the ordinary exit reports it.
    Returns as well when any condition fails."""
    import atexit
    import os
    import sys

    threading = sys.modules.get("threading")
    if not as_program or (threading is not None and threading.active_count() > 1):
        return
    pending = getattr(atexit, "_ncallbacks", None)
    if pending is None or pending():
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code)
