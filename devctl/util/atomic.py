"""Replace a file so that readers see the old content or the new, never half of either.

Why one function: `state.json` (read by `status` while the supervisor writes it), the command
cache, the JSON schema and scaffolded config files all need the same dance — a temp file in the
same directory (so the rename stays on one filesystem), fsync (so a crash right after the rename
cannot leave an empty file behind), `os.replace`, and no stray temp file when anything fails.
Stdlib only: `status` imports it through the state store. Not even `tempfile` (with `random`
and `shutil`, ~8 ms of imports that `plan` and `up` would pay for one name): the temp file is
created here, exclusively (`O_EXCL`), with the mode `tempfile.mkstemp` would give it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

#: Mode of a new file when the caller names none: what an editor would create.
DEFAULT_MODE = 0o644


def write_atomic(path: Path, text: str, *, mode: int | None = None, durable: bool = True) -> None:
    """Atomically replace (or create) `path` with `text`, UTF-8 encoded.

    `mode` is the new file's permission bits; None keeps those of the file being replaced,
    or DEFAULT_MODE for a new one. The directory must exist. On any failure (including
    Ctrl-C) the temp file is removed, the old file is left as it was, and the error propagates.

    `durable=False` skips the fsync: readers still never see half a file (that is the rename's
    job), only a machine crash could lose the new content. For files rewritten on a hot path
    whose content dies with the machine anyway (the supervisor's `state.json`), the fsync costs
    milliseconds per write and buys nothing.
    """
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path) if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _create_temp(path: Path) -> tuple[int, str]:
    """A new, empty temp file next to `path` (mode 0600, never an existing file): (fd, its path)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):  # a name taken (a leftover, a racing writer): draw another
        tmp = os.path.join(path.parent, f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temp file name next to {path}")


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        return DEFAULT_MODE
