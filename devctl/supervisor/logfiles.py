"""The shape of a service's log files on disk: generation names and the line-timestamp format.

One owner for both, because three parties must agree on them: `spawn` (rotates on restart),
`logwriter` (stamps lines and rotates by size) and `logs` (reads the generations back, merges
stamped lines by time). Stdlib only: `devctl logs` and the writer process import it.

Generations: `<svc>.<stream>.log` is the file being written; `.log.1` is the one before it,
`.log.2` the one before that, up to `.log.<keep>`; the oldest is deleted. A restart and a size
rotation shift the same chain, so "the last N files" is always what is on disk.

Timestamps: a stamped line starts with the UTC time its first byte reached the writer, as
RFC 3339 with microseconds and a `Z` (`2026-12-01T12:58:16.123456Z `), then one space. The
width is fixed, so stamped lines sort by time as plain strings and a reader can tell a stamped
line from an unstamped one by its first 28 characters.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path

#: `YYYY-MM-DDTHH:MM:SS.ffffffZ` plus the space after it.
TS_WIDTH = 28
#: How many stale generations past `keep` one rotation removes at most (a bounded loop).
_MAX_STALE = 1000
_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z ")


def format_ts(t: float) -> str:
    """The stamp for time `t` (seconds since the epoch), with its trailing space."""
    whole = int(t)
    micros = int(round((t - whole) * 1_000_000))
    if micros >= 1_000_000:  # rounding carried into the next second
        whole, micros = whole + 1, micros - 1_000_000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{micros:06d}Z "


def line_time(line: str) -> str | None:
    """The stamp a line starts with (comparable as a string), or None for an unstamped line."""
    return line[:TS_WIDTH] if _TS.match(line) else None


def generation(path: Path, n: int) -> Path:
    """`path` for n == 0, else `path.<n>`."""
    return path if n == 0 else path.with_name(f"{path.name}.{n}")


def shift(path: Path, keep: int) -> None:
    """Rotate: `.log.<keep-1>` → `.log.<keep>`, …, `.log` → `.log.1`; the oldest goes.

    `keep` is how many old generations stay (at least 1: a restart always keeps the previous
    run). Missing files in the chain are fine. Each step is one rename, so a reader holding a
    descriptor keeps reading the same bytes under their new name.
    """
    keep = max(1, keep)
    # Generations past `keep` (an earlier run had a larger one) go, so readers never mix in stale files.
    for n in range(keep + 1, keep + 1 + _MAX_STALE):
        try:
            os.unlink(generation(path, n))
        except FileNotFoundError:
            break
    for n in range(keep - 1, -1, -1):
        with contextlib.suppress(FileNotFoundError):
            os.replace(generation(path, n), generation(path, n + 1))
