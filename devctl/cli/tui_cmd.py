"""`devctl tui`: the live dashboard (devctl.tui). Only typer and the stdlib at module level.

`devctl [-C DIR] tui` alone is started before typer loads (`cli/fastpath.py`); this command
is the path for every other shape of the line, and runs the same `launch`.
"""

from __future__ import annotations

import typer


def tui(ctx: typer.Context) -> None:
    """A live dashboard of the dev environment: services, logs, events, pipeline, plugins.

    Keys 1-6 switch views, ? lists the keys of the current one, q quits. Quitting leaves the
    services running (it says which; `devctl down` stops them). On a repo that is not up, the
    services view offers `devctl up` (key u). Needs a terminal: exit 2 when stdin or stdout is
    not one.
    """
    from devctl.cli.context import app_context
    from devctl.cli.tui_launch import launch

    app = app_context(ctx)
    code = launch(app.repo_root_opt, app.config_opt)
    if code:
        raise typer.Exit(code)
