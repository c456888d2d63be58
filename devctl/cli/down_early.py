"""`devctl down`: the shutdown request goes out before the rest of the CLI is imported.

The services' own exit is most of a `down` (50 Python services need ~200 ms of two cores to
tear down their interpreters), and it can only begin once the supervisor has the request.
Everything the CLI imports and does before sending it (the fast-path table, typing, json,
the output modules, the client: 15-30 ms of CPU) used to come first; now nothing does but
this module, `devctl.layout` and `supervisor/early_shutdown.py`, and the rest overlaps the
services' exit.

Not even `pathlib` (which brings `re`, `fnmatch`, `urllib.parse`, `ipaddress`: ~30 ms of import
on the 2-core box, all of it before the request): the global options, the repo root and the
socket's path are read here with `os` and strings. Each follows the one rule it stands for,
kept equal by tests/unit/cli/test_down_early.py:
- the shapes: `[-C DIR | -CDIR | --repo-root DIR | --repo-root=DIR]... down`, exactly as
  `global_options.split_globals` reads them (what `cli/fastpath.py` answers, and the typer path);
- the root: `-C`'s directory, resolved, as `AppContext.repo_root` takes it; else the nearest
  directory at or above the working directory that holds `.devctl.yaml`
  (`devctl.layout.find_root`, which `devctl.config.find_repo_root` is too), else the working
  directory;
- the socket and lock: `devctl.layout`'s names, as `supervisor.paths.Paths` joins them.
Anything else, or any failure here, sends nothing: `client.down` then sends the request
itself, as before.
"""

from __future__ import annotations

import os


def begin(args: list[str]) -> None:
    """Send `shutdown` now if `args` is a plain `down` and a supervisor holds the repo's lock."""
    try:
        root = repo_root(args)
    except (OSError, ValueError):  # a vanished working directory, a NUL in -C: the ordinary path says
        return
    if root is None:
        return
    from devctl.layout import LOCK_NAME, SOCK_NAME, STATE_DIR_NAME
    from devctl.supervisor.early_shutdown import begin_shutdown

    state_dir = os.path.join(root, STATE_DIR_NAME)
    begin_shutdown(os.path.join(state_dir, SOCK_NAME), os.path.join(state_dir, LOCK_NAME))


def repo_root(args: list[str]) -> str | None:
    """The repo root a plain `down` with these arguments acts on; None if this is not one
    (or its -C is not a directory: typer reports that)."""
    found = repo_root_option(args)
    if found is None:
        return None
    (given,) = found
    if given is not None:
        path = given or "."  # Path("") is "."
        return _resolve(path) if os.path.isdir(path) else None
    cwd = os.getcwd()
    from devctl.layout import find_root

    return find_root(cwd) or _resolve(cwd)


def repo_root_option(args: list[str]) -> tuple[str | None] | None:
    """`(-C's value,)` (the last one given; `(None,)` without one), or None when `args` is
    anything but global repo-root options and `down` (read as `split_globals` reads them)."""
    value: str | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("-") or arg == "-":
            break
        if arg in ("-C", "--repo-root"):
            i += 1
            if i >= len(args):
                return None
            value = args[i]
        elif arg.startswith("--repo-root="):
            value = arg[len("--repo-root="):]
        elif arg.startswith("-C"):
            value = arg[2:]
        else:
            return None
        i += 1
    return (value,) if args[i:] == ["down"] else None


def _resolve(path: str) -> str:
    """`Path(path).resolve()`: `os.path.realpath`. (On Python 3.11 `resolve` also raises on a
    symlink loop; here `path` is the working directory or one `os.path.isdir` reached, so there
    is none to meet.)"""
    return os.path.realpath(path)
