"""A file's stamp for caches that hold "while these files are unchanged": path, mtime (ns), size.

Stdlib only: the replayed `--help` (cli/help_cache.py) checks stamps before anything else is
imported, and the plugin-command cache (plugin_commands/cache.py) records them the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `--help`'s replay and plugin commands run this first
if TYPE_CHECKING:
    from typing import Any


def stat_entry(path: Path | str) -> list[Any]:
    """[path, mtime_ns, size]; a missing file is recorded as such, so its creation counts."""
    try:
        st = os.stat(path)
    except OSError:
        return [str(path), -1, -1]
    return [str(path), st.st_mtime_ns, st.st_size]
