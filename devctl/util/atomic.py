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
import errno
import os
import sys
from pathlib import Path

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: the config cache is written before the plugins start
if TYPE_CHECKING:
    from typing import Any

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


def swap_in(path: Path, data: bytes, *, mode: int) -> None:
    """`write_atomic` (not durable) for a file that ONE process rewrites many times a second:
    the supervisor's `state.json`, written under its lock on every change while services start.

    Readers see the same thing: the old file or the new one, never half. What differs:

    - the temp file has a fixed name (`.<name>.tmp`): there is only one writer, so no
      `tempfile` (its import, the random name) and no text wrapper;
    - on Linux the new file is swapped in with `renameat2(RENAME_EXCHANGE)` and the old one
      (now under the temp name) is unlinked, instead of `os.replace` over it. ext4 starts
      writing the new file's data back to disk on every rename over an existing file
      (`auto_da_alloc`): ~0.5-3 ms of blocking per write on the supervisor's event loop, and
      disk I/O for a file replaced a moment later. Swapped and unlinked, the old inode is
      gone before writeback ever sees it. A reader that has the old file open keeps reading
      it whole (an unlinked inode lives on while open).

    Where the exchange is not available (not Linux, no such file yet, a filesystem without it)
    it is `os.replace`. On any failure the temp file is removed and the old file stays.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        # O_EXCL: always a fresh inode. A leftover temp (a writer killed between the exchange
        # and the unlink) holds an old state that a reader may still be reading: unlinked,
        # never truncated.
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        except FileExistsError:
            os.unlink(tmp)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        try:
            os.fchmod(fd, mode)  # exactly `mode`, whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        if _exchange(tmp, path):
            os.unlink(tmp)  # the old file
        else:
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


#: `renameat2` from the C library, found at the first `swap_in` (None: not available).
_renameat2: Any = False
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap the names `a` and `b`; False when it cannot be done here (then nothing
    changed): not Linux, `b` missing, or a filesystem without RENAME_EXCHANGE."""
    global _renameat2
    if _renameat2 is False:
        _renameat2 = None
        if sys.platform.startswith("linux"):
            with contextlib.suppress(OSError, AttributeError):
                import ctypes  # the supervisor loads it anyway (PR_SET_CHILD_SUBREAPER)

                libc = ctypes.CDLL(None, use_errno=True)
                fn = libc.renameat2
                fn.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
                fn.restype = ctypes.c_int
                _renameat2 = fn
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    import ctypes

    err = ctypes.get_errno()
    if err in (errno.ENOENT, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
        return False  # nothing to swap with yet, or not supported here: os.replace does it
    raise OSError(err, os.strerror(err), str(b))
