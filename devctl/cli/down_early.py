"""`devctl down`: the shutdown request goes out before the rest of the CLI is imported.

The services' own exit is most of a `down` (50 Python services need ~200 ms of two cores to
tear down their interpreters), and it can only begin once the supervisor has the request.
Everything the CLI imports and does before sending it (the fast-path table, typing, json,
the output modules, the client: 15-30 ms of CPU) used to come first; now only the global
options and the control socket's connect do, and the rest overlaps the services' exit.

Only for the exact shape `[-C DIR | --repo-root DIR] down` (what `cli/fastpath.py` answers),
with the repo root found the way `AppContext.repo_root` finds it. Anything else, or any
failure here, sends nothing: `client.down` then sends the request itself, as before.
"""

from __future__ import annotations


def begin(args: list[str]) -> None:
    """Send `shutdown` now if `args` is a plain `down` and a supervisor holds the repo's lock."""
    from devctl.cli.global_options import split_globals

    found = split_globals(args)
    if found.rest != ["down"] or not found.complete or found.given - {"repo_root"}:
        return
    if found.repo_root is not None:
        if not found.repo_root.is_dir():
            return  # typer reports a bad -C
        root = found.repo_root.resolve()
    else:
        from pathlib import Path

        from devctl.config import find_repo_root

        root = find_repo_root(Path.cwd()) or Path.cwd().resolve()
    from devctl.supervisor.control import begin_shutdown
    from devctl.supervisor.paths import Paths

    paths = Paths(root)
    begin_shutdown(paths.sock, paths.lock)
