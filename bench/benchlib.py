"""What every bench shares: how devctl is run.

The benches run as scripts (`python bench/NAME.py`), so this directory is first on `sys.path`
and `from benchlib import ...` finds this file.
"""

from __future__ import annotations

import os
import sys


def devctl_argv() -> list[str]:
    """The installed `devctl` script next to this interpreter (what users run, and how the
    benches run honcho and supervisord: their scripts), else `python -m devctl`. The script runs
    a `--before DIR` / `--baseline DIR` checkout too: PYTHONPATH comes ahead of the editable
    install on `sys.path`."""
    script = os.path.join(os.path.dirname(sys.executable), "devctl")
    return [script] if os.access(script, os.X_OK) else [sys.executable, "-m", "devctl"]
