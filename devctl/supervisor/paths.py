"""Where the supervisor keeps its files under `.devctl/`, and the one-syscall liveness test.

Stdlib only: `status`, `logs` and `down` import this without paying for anyio or httpx. Nor
`pathlib` or `re` (`statedir`'s message for an unusable path is imported when one is met):
`devctl down` checks the lock and connects before it has loaded either (cli/down_early.py).
"""

from __future__ import annotations

import errno
import fcntl
import os

from devctl.layout import LOCK_NAME, SOCK_NAME, STATE_DIR_NAME

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `typing` is an import `down` avoids
if TYPE_CHECKING:
    from pathlib import Path


class Paths:
    """The files of the supervisor of the repo at `root`. A plain class, not a frozen dataclass:
    `dataclasses` pulls `inspect` (10-25 ms of import) into `status` and `down`."""

    __slots__ = ("_root",)

    def __init__(self, root: Path) -> None:
        self._root = root

    @property
    def root(self) -> Path:
        """The repo root (read-only: a Paths names one repo for its whole life)."""
        return self._root

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Paths) and other._root == self._root

    def __hash__(self) -> int:
        return hash(self._root)

    def __repr__(self) -> str:
        return f"Paths(root={self._root!r})"

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR_NAME

    @property
    def state(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def sock(self) -> Path:
        return self.state_dir / SOCK_NAME

    @property
    def lock(self) -> Path:
        return self.state_dir / LOCK_NAME

    @property
    def events(self) -> Path:
        return self.state_dir / "events.ndjson"

    @property
    def logs(self) -> Path:
        return self.state_dir / "logs"

    @property
    def daemon_log(self) -> Path:
        return self.state_dir / "supervisor.log"

    def log(self, service: str, stream: str) -> Path:
        """`.devctl/logs/<service>.<stream>.log`; `service` was checked by `check_name`."""
        return self.logs / f"{service}.{stream}.log"


def supervisor_alive(lock: str | Path) -> bool:
    """True while some process holds the flock on `lock` (the kernel drops it when the holder dies).

    We try to take the lock ourselves, non-blocking, and let go at once: ~0.1 ms, no socket,
    no trust in a pid file.
    """
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):  # no .devctl/, or a file in its place
        return False
    except OSError as exc:  # .devctl/ chmod 000, or another user's
        import pathlib

        from devctl.statedir import unusable

        raise unusable(pathlib.Path(lock), exc) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return True
        raise
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def short_socket_path(path: str | Path) -> tuple[str, int | None]:
    """A path to `path` that fits AF_UNIX's 108-byte limit, plus a dir fd to close afterwards.

    Deep repo paths (temp dirs, monorepos) overflow the limit; going through
    `/proc/self/fd/<dirfd>/name` keeps the address short without changing directory.
    """
    text = os.fspath(path)
    if len(text.encode()) < 100:
        return text, None
    parent, name = os.path.split(text)  # not Path.parent: `down`'s early request has no pathlib
    dirfd = os.open(parent or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    return f"/proc/self/fd/{dirfd}/{name}", dirfd
