"""The body of a forked child that must end there: never return into its parent's code.

After `os.fork()` the child runs the parent's stack: returning from the function that forked
would go on with the CLI's work in a second process, and raising would run the parent's
`finally` blocks and `atexit` handlers (closing plugins, deleting files that are not its own).
`run_child(body)` runs the child's work, writes a traceback to its stderr if the work fails,
and leaves with `os._exit` whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` imports this before its plugins start
if TYPE_CHECKING:
    from typing import NoReturn


def run_child(body: Callable[[], int]) -> NoReturn:
    """Run `body` in a forked child and end the process with its exit code (1 if it raised)."""
    code = 1
    try:
        code = body()
    except BaseException:  # noqa: BLE001 - the forked child must never return into its parent
        with contextlib.suppress(Exception):
            import traceback

            traceback.print_exc()
            sys.stderr.flush()
    finally:
        os._exit(code)
