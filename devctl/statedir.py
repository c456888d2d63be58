"""The `.devctl/` directory: its layout, its permissions, and safe names inside it.

Everything devctl writes in a repo lives under `.devctl/` (mode 0700, with a `.gitignore`
of `*`). Names that come from plans or plugins (service ids, plugin ids) become file names
here, so they are checked in one place: `check_name`.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from devctl.errors import ConfigError, DevctlError
from devctl.layout import STATE_DIR_NAME as STATE_DIR_NAME  # named with the other file names, import-free

#: Used with `fullmatch` (a `$` would also match before a final newline: "web\n" passed).
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:@+-]{0,127}")


def state_dir(repo_root: Path) -> Path:
    return repo_root / STATE_DIR_NAME


def ensure_state_dir(repo_root: Path) -> Path:
    """Create `.devctl/` (0700) with its `.gitignore`, and return it.

    What is already there is checked, never trusted blindly (issue 12): it must be a directory
    (not a regular file) that this user owns and can use. A real directory gets mode 0700. A
    symlink is followed but its target's mode is never changed (a shared 1777 directory once
    became 0700): the target must already be this user's and closed to others. Every refusal is
    a DevctlError naming the path and the fix, never a traceback.
    """
    path = state_dir(repo_root)
    _check_length(path)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise unusable(path, exc) from None
    linked = path.is_symlink()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | (0 if linked else os.O_NOFOLLOW))
    except OSError as exc:
        raise unusable(path, exc) from None
    try:
        info = os.fstat(fd)
        if info.st_uid != os.geteuid():
            raise DevctlError(
                f"{path} belongs to uid {info.st_uid}, not to you (uid {os.geteuid()}); devctl keeps "
                f"its state and sockets there and will not share them: remove it or fix its owner"
            )
        if linked and stat.S_IMODE(info.st_mode) & 0o077:
            raise DevctlError(
                f"{path} is a symlink to {os.path.realpath(path)}, which others can use "
                f"(mode {stat.S_IMODE(info.st_mode):o}); devctl does not change the mode of a linked "
                f"directory: point the link at a private directory (mode 700) or remove it"
            )
        if not linked and stat.S_IMODE(info.st_mode) != 0o700:
            os.fchmod(fd, 0o700)  # the directory we opened without following links
    finally:
        os.close(fd)
    ignore = path / ".gitignore"
    try:
        if not ignore.exists():
            ignore.write_text("*\n")
    except OSError as exc:
        raise unusable(path, exc) from None
    return path


#: The longest path devctl creates below `.devctl/`: a service log of a 128-character name
#: (`logs/<name>.stderr.log`, and its rotated `.1`), with room to spare for temp-file suffixes.
LONGEST_INSIDE = len("/logs/") + 128 + len(".stderr.log.1") + 24


def _check_length(path: Path) -> None:
    """Refuse up front a repo so deep that files inside `.devctl/` would pass PATH_MAX.

    Otherwise the first write that crosses the limit fails somewhere in the middle of `up`
    (the lock, the state file's temp file, a log) with ENAMETOOLONG. The control socket's own
    limit (108 bytes) is handled apart, in `devctl.supervisor.paths.short_socket_path`.
    """
    text = os.path.abspath(path)
    try:
        limit = os.pathconf(os.path.dirname(text), "PC_PATH_MAX")
    except (OSError, ValueError):
        limit = 4096
    if len(os.fsencode(text)) + LONGEST_INSIDE >= limit:
        size = len(os.fsencode(text))
        raise DevctlError(
            f"the repo path is too long ({size} bytes): devctl's files in {STATE_DIR_NAME}/ would pass "
            f"the system's limit of {limit} bytes per path; move the repo to a shorter path"
        )


def ensure_subdir(repo_root: Path, *parts: str) -> Path:
    """`.devctl/<parts...>`, created 0700; each part must pass `check_name`."""
    base = ensure_state_dir(repo_root)
    for part in parts:
        check_name(part, what="directory")
        base = base / part
        try:
            base.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise unusable(base, exc) from None
    return base


def unusable(path: Path, exc: OSError) -> DevctlError:
    """The one message for a `.devctl/` path the OS refuses (for writers and readers alike)."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        hint = "a file is in the way; move it away so devctl can create its state directory there"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        hint = f"devctl needs to read and write it: `chmod 700 {path}` (as its owner)"
    elif exc.errno == errno.ELOOP:
        hint = "a symlink loop; remove the link"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        hint = "free some space (or make the filesystem writable) and try again"
    elif exc.errno == errno.ENAMETOOLONG:
        hint = "the repo path is too long for this filesystem; use a shorter path"
    else:
        hint = "check it and try again"
    return DevctlError(f"cannot use {path}: {reason}; {hint}")


def check_name(name: object, *, what: str = "name") -> str:
    """A name that is safe as one path component under `.devctl/`, or ConfigError.

    Allowed: letters, digits and `_ . : @ + -`, not starting with `.` or `-`, at most 128
    characters. That rules out `/`, `..`, NUL and hidden files.
    """
    if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name) or name in {".", ".."}:
        raise ConfigError(
            f"invalid {what} {name!r}: use letters, digits and _ . : @ + - "
            "(no path separators, not starting with '.' or '-')"
        )
    return name
