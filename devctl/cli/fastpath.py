"""`devctl [-C DIR] status --json` without typer: the hot path for scripts and CI loops.

Scripts poll `status --json` (and the issue's goal is ≤ 100 ms for it); importing typer and
building the command tree is about half of that. This recognises only that exact shape and
answers it with the same function the typer command uses (`status_json`), so the two
cannot disagree. Anything else — other options, `--help`, typos — goes through typer.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def status_json(repo_root: Path) -> int:
    """Print the status snapshot as JSON on stdout; return status's exit code (0 or 3)."""
    from devctl.supervisor import client
    from devctl.supervisor.paths import Paths

    snapshot = client.read_status(Paths(repo_root))
    sys.stdout.write(json.dumps(snapshot, indent=2, default=str) + "\n")
    return client.status_exit_code(snapshot)


def parse_fast_status(args: list[str]) -> Path | None | bool:
    """For `[-C DIR | --repo-root DIR | --repo-root=DIR] status --json`: the -C value (or None).

    Returns False when `args` has any other shape (another global option included).
    """
    from devctl.cli.global_options import split_globals

    found = split_globals(args)
    if not found.complete or found.rest != ["status", "--json"] or found.given - {"repo_root"}:
        return False
    return found.repo_root


def try_fast_status(args: list[str]) -> int | None:
    """Exit code if `args` was answered here, None if typer should handle them."""
    parsed = parse_fast_status(args)
    if parsed is False:
        return None
    from devctl.cli.context import AppContext

    root = AppContext(repo_root_opt=parsed if isinstance(parsed, Path) else None).repo_root()
    if not root.is_dir():
        return None  # let typer report the bad -C value the usual way
    from devctl.errors import DevctlError

    try:
        return status_json(root)
    except DevctlError as exc:  # e.g. an unreadable state.json: one message, as typer's path gives
        from devctl.cli.output import error

        error(exc.message, exc.details)
        return exc.exit_code
