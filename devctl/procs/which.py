"""What program a command runs: the one rule for turning `argv[0]` into an executable path.

The rule, for every host and the supervisor:
- a name with a path separator is a file, relative to the caller's base directory (the repo
  root, a service's cwd, a config file's directory); `~` is expanded; the path is normalised
  but symlinks are NOT resolved (a multi-call binary such as busybox reads its argv[0]);
- a bare name is looked up on the PATH the child will get (the caller passes it; default:
  ours, else `os.defpath`);
- it must exist, not be a directory, and be executable.

One failure form: `NotExecutable` with a `reason` (one of the `REASONS`). Each caller turns
it into its own message (a config problem with a line number, a service error, a job's
spawn error): those texts are what users and tests read, so they stay with the caller.
"""

from __future__ import annotations

import os
from pathlib import Path

#: `NotExecutable.reason` values.
NOT_ON_PATH, MISSING, DIRECTORY, NOT_EXECUTABLE = "not-on-path", "missing", "directory", "not-executable"
REASONS = (NOT_ON_PATH, MISSING, DIRECTORY, NOT_EXECUTABLE)


class NotExecutable(Exception):
    """`program` cannot be run. `path` is the file that was checked (None for a PATH miss)."""

    def __init__(self, program: str, reason: str, path: str | None = None):
        super().__init__(f"{program!r}: {reason}" + (f" ({path})" if path else ""))
        self.program = program
        self.reason = reason
        self.path = path


def has_dir(program: str) -> bool:
    """True when `program` names a file by path rather than a command on PATH."""
    return os.sep in program or bool(os.altsep and os.altsep in program)


def resolve_executable(program: str, base: Path | str, search_path: str | None = None) -> str:
    """The absolute path `program` runs, or `NotExecutable` (see the module docstring)."""
    if not has_dir(program):
        # Here, not at import: shutil loads the bz2 and lzma modules (~5 ms), and a config that
        # names its plugins by path (the usual case) never looks anything up on PATH.
        import shutil

        if search_path is None:
            search_path = os.environ.get("PATH", os.defpath)
        found = shutil.which(program, path=search_path)
        if found is None:
            raise NotExecutable(program, NOT_ON_PATH)
        return os.path.abspath(found)
    full = os.path.normpath(os.path.join(base, os.path.expanduser(program)))
    if not os.path.exists(full):
        raise NotExecutable(program, MISSING, full)
    if os.path.isdir(full):
        raise NotExecutable(program, DIRECTORY, full)
    if not os.access(full, os.X_OK):
        raise NotExecutable(program, NOT_EXECUTABLE, full)
    return full
