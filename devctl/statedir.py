"""The `.devctl/` directory: its layout, its permissions, and safe names inside it.

Everything devctl writes in a repo lives under `.devctl/` (mode 0700, with a `.gitignore`
of `*`). Names that come from plans or plugins (service ids, plugin ids) become file names
here, so they are checked in one place: `check_name`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from devctl.errors import ConfigError

STATE_DIR_NAME = ".devctl"
#: Used with `fullmatch` (a `$` would also match before a final newline: "web\n" passed).
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:@+-]{0,127}")


def state_dir(repo_root: Path) -> Path:
    return repo_root / STATE_DIR_NAME


def ensure_state_dir(repo_root: Path) -> Path:
    """Create `.devctl/` (0700) with its `.gitignore`, and return it."""
    path = state_dir(repo_root)
    path.mkdir(mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)
    ignore = path / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    return path


def ensure_subdir(repo_root: Path, *parts: str) -> Path:
    """`.devctl/<parts...>`, created 0700; each part must pass `check_name`."""
    base = ensure_state_dir(repo_root)
    for part in parts:
        check_name(part, what="directory")
        base = base / part
        base.mkdir(mode=0o700, exist_ok=True)
    return base


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
