"""Two per-service plan fields checked at plan time: `env_file` and `user`.

`env_file` is read when the plan is made, not when the service spawns: `devctl plan` then shows
the environment the service will get (redacted by the usual policy where devctl redacts:
`state.json`, `up --dry-run`), a missing file or a bad line fails the plan before anything
starts, and `up` on a running environment sees an edited `.env` as a changed spec. Paths are
relative to the repo root, like `cwd` (and like compose, whose `env_file` is relative to the
compose file's directory). The plan's own `env` wins over every file.

`user` is checked here too (exists; devctl can switch to it), so a plan that cannot run fails
as a whole instead of half-starting; the switch itself happens at spawn (`procs.identity`).
"""

from __future__ import annotations

import os
from pathlib import Path

from devctl.errors import ConfigError, display_path


def env_files(value: object, repo_root: Path) -> dict[str, str]:
    """The variables of `env_file` (one path or a list of paths), later files winning."""
    if value is None:
        return {}
    from devctl.util.dotenv import DotenvError, read_files  # only for a plan that names env files

    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(v, str) and v for v in names):
        raise ConfigError(f"'env_file' must be a path or a list of paths, got {value!r}")
    paths: list[Path] = []
    display: dict[Path, str] = {}
    for name in names:
        path = Path(os.path.normpath(repo_root / Path(name).expanduser()))
        if not path.is_file():
            why = "is not a file" if path.exists() else "does not exist"
            raise ConfigError(f"env_file {name!r} {why} ({display_path(path)}; env_file paths are relative "
                              "to the repo root)")
        paths.append(path)
        display[path] = display_path(path)
    try:
        return read_files(paths, display)
    except DotenvError as exc:
        raise ConfigError(f"env_file {exc}") from None
    except OSError as exc:
        raise ConfigError(f"env_file {exc.filename}: cannot read: {exc.strerror}") from None


def user(value: object) -> str | None:
    """The `user` to run as (a login name or numeric uid, as text), or None to run as devctl."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigError(f"'user' must be a user name (or numeric uid), got {value!r}")
    name = str(value)
    from devctl.procs import identity  # only for a plan that names a user (pwd, grp)

    problem = identity.check(name)
    if problem is not None:
        raise ConfigError(f"'user': {problem}")
    return name
