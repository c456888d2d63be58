"""Starting `devctl tui`, with or without typer.

The dashboard's first frame is what a user waits for, and typer (importing it and building the
command tree) costs about as much CPU as Textual's own start. `devctl [-C DIR] [--config FILE]
tui` — the whole command line, nothing else on it — is one of the shapes started without typer
(the table in `cli/fastpath.py`, as `status --json` is); any other shape (`tui --help`, other
global options, a typo) goes through typer, whose `tui` command calls the same `launch`.
Stdlib only at module level.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def launch(repo_root_opt: Path | None, config_opt: Path | None) -> int:
    """Run the dashboard for the repo the global options name; returns the exit code.

    Raises DevctlError (exit 2) when there is no terminal to draw on."""
    from devctl.cli.context import AppContext
    from devctl.errors import EXIT_USAGE, DevctlError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise DevctlError("devctl tui needs a terminal (stdin and stdout are not both a TTY); "
                          "use `devctl status` or `devctl logs` in scripts", exit_code=EXIT_USAGE)
    root = AppContext(repo_root_opt=repo_root_opt).repo_root()
    config_file = config_opt.resolve() if config_opt else root / ".devctl.yaml"
    from devctl.tui.app import run
    from devctl.tui.context import TuiContext

    note = run(TuiContext(root, config_file if config_file.is_file() else None,
                          no_color=bool(os.environ.get("NO_COLOR"))))
    from devctl.cli.output import info

    for line in note.splitlines():
        info(f"devctl tui: {line}")
    return 0
