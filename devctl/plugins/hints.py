"""What a plugin's dying words mean, for the messages devctl prints when a plugin fails to start.

One case so far: a plugin written with devctl.sdk, run by an interpreter that has no devctl
installed (`path: python3` outside devctl's venv, or a `#!/usr/bin/env python3` script). Its
stderr ends in a bare `ModuleNotFoundError: No module named 'devctl'`; the hint names the
interpreter that was used and the two fixes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from devctl.config import DEVCTL_PYTHON

_MISSING = ("No module named 'devctl'", "No module named 'devctl.sdk'")


def interpreter_of(argv: Sequence[str]) -> str:
    """The interpreter `argv` runs: argv[0] itself, or the `#!` line of a script."""
    if not argv:
        return "?"
    first = argv[0]
    if os.path.basename(first).startswith("python"):
        return first
    try:
        with open(first, "rb") as fh:
            line = fh.readline(256).decode("utf-8", "replace").strip()
    except OSError:
        return first
    if not line.startswith("#!"):
        return first
    words = line[2:].split()
    if len(words) >= 2 and os.path.basename(words[0]) == "env":
        return words[1]  # `#!/usr/bin/env python3`: looked up on PATH
    return words[0] if words else first


def missing_sdk_hint(argv: Sequence[str], stderr_tail: Sequence[str]) -> list[str]:
    """Detail lines for a plugin that could not import devctl.sdk; [] for any other failure."""
    if not any(marker in line for line in stderr_tail for marker in _MISSING):
        return []
    used = interpreter_of(argv)
    return [f"hint: the interpreter {used} cannot import devctl.sdk (devctl is not installed for it)",
            f"  fix: in .devctl.yaml, run the plugin under devctl's own interpreter ({sys.executable}):",
            f"       path: {DEVCTL_PYTHON}  (with the script in args), or install devctl for {used}"]
