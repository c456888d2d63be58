"""`devctl tui`: the live dashboard (devctl.tui). Only typer and the stdlib at module level."""

from __future__ import annotations

import typer


def tui(ctx: typer.Context) -> None:
    """A live dashboard of the dev environment: services, logs, events, pipeline, plugins.

    Keys 1-6 switch views, ? lists the keys of the current one, q quits. Quitting leaves the
    services running (it says which; `devctl down` stops them). On a repo that is not up, the
    services view offers `devctl up` (key u). Needs a terminal: exit 2 when stdin or stdout is
    not one.
    """
    import os
    import sys

    from devctl.cli.context import app_context
    from devctl.errors import EXIT_USAGE, DevctlError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise DevctlError("devctl tui needs a terminal (stdin and stdout are not both a TTY); "
                          "use `devctl status` or `devctl logs` in scripts", exit_code=EXIT_USAGE)
    app = app_context(ctx)
    root = app.repo_root()
    config_file = app.config_opt.resolve() if app.config_opt else root / ".devctl.yaml"
    from devctl.tui.app import run
    from devctl.tui.context import TuiContext

    note = run(TuiContext(root, config_file if config_file.is_file() else None,
                          no_color=bool(os.environ.get("NO_COLOR"))))
    from devctl.cli.output import info

    for line in note.splitlines():
        info(f"devctl tui: {line}")
