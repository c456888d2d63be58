"""The commands answered without typer: one table of exact argument shapes, and plugin commands.

Importing typer and building the command tree costs about 45 ms on a quiet 2-core box, more
than the rest of `devctl status` together. The commands people and scripts run most often
(and the ones with a speed goal) are recognised here in one exact shape each — only `-C DIR`
may come before them, and the global options a shape takes (`--config` for `tui`, those of
the pipeline for `plan`) — and answered by the same function the typer command calls, so the
two paths cannot disagree (`tests/integration/test_fastpath_cli.py` runs both for every
shape). Anything else — another option, `--help`, a typo, a bad `-C` — goes through typer,
which owns every error message about the command line.

Plugin commands are the other case (`plugin_command`): a name the repo's command cache knows
and holds fresh runs through `devctl.cli.plugin_invoke.run`, as the typer command does.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

#: Not `typing.TYPE_CHECKING`: `typing` (3-5 ms) is an import `status`, `down` and `plan` skip
#: here (type checkers treat any constant of this name as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from devctl.cli.context import AppContext


def status_json(repo_root: Path) -> int:
    """Print the status snapshot as JSON on stdout; return status's exit code (0 or 3)."""
    from devctl.supervisor import client
    from devctl.supervisor.paths import Paths

    snapshot = client.read_status(Paths(repo_root))
    sys.stdout.write(json.dumps(snapshot, indent=2, default=str) + "\n")
    return client.status_exit_code(snapshot)


def status_table(repo_root: Path) -> int:
    """`devctl status`: the readable table (or why there is none); status's exit code (0 or 3)."""
    from devctl.cli.status_table import render_status
    from devctl.supervisor import client
    from devctl.supervisor.paths import Paths

    snapshot = client.read_status(Paths(repo_root))
    render_status(snapshot)
    return client.status_exit_code(snapshot)


def down(repo_root: Path, timeout: float | None = None) -> int:
    """`devctl down`: stop everything (a spinner names each step on a terminal); exit 0."""
    from devctl.cli.output import info
    from devctl.cli.plain import is_terminal
    from devctl.supervisor import client
    from devctl.supervisor.paths import Paths

    if is_terminal(sys.stderr):  # piped, nothing would be drawn: not even its thread's import
        from devctl.cli.output import spinner

        with spinner("stopping…") as shown:
            summary = client.down(Paths(repo_root), timeout, on_step=shown.update)
    else:
        summary = client.down(Paths(repo_root), timeout)
    info(summary)
    return 0


def tui(app: AppContext) -> int:
    """`devctl tui`: the dashboard's first frame waits for no typer (cli/tui_launch.py)."""
    from devctl.cli.tui_launch import launch

    return launch(app.repo_root_opt, app.config_opt)


def plan(app: AppContext) -> int:
    """`devctl plan`: the merged config and the services, as a table (cli/pipeline_run.py)."""
    from devctl.cli import pipeline_run

    return pipeline_run.plan(app, json_out=False)


def plan_json(app: AppContext) -> int:
    """`devctl plan --json`."""
    from devctl.cli import pipeline_run

    return pipeline_run.plan(app, json_out=True)


def up(app: AppContext) -> int:
    """`devctl up`: pipeline, supervisor, wait until ready (cli/up_run.py)."""
    from devctl.cli.up_run import run_up

    return run_up(app)


def _at_once(command: Callable[[AppContext], int]) -> Callable[[AppContext], int]:
    """`command`, then the exit at once (`teardown.exit_at_once`) when it returns: `status`,
    `down`, `plan` and `up` leave nothing that needs the interpreter's teardown (their plugins
    are closed and reaped, their files written and closed). An error or Ctrl-C is not a return:
    it goes to `main._run`, which reports it and exits the ordinary way."""
    def run(app: AppContext) -> int:
        from devctl.cli.teardown import exit_at_once

        code = command(app)
        exit_at_once(code)
        return code

    run.__name__ = command.__name__
    return run


def _at_root(command: Callable[[Path], int]) -> Callable[[AppContext], int]:
    """`command` at the repo root, ending at once (`_at_once`)."""
    def run(app: AppContext) -> int:
        return command(app.repo_root())

    run.__name__ = command.__name__
    return _at_once(run)


class Shape:
    """A command line answered here: the function that answers it, and the global options it
    takes besides `-C DIR` (any other makes the line typer's). A plain class, not a NamedTuple,
    which would import `typing`."""

    __slots__ = ("run", "takes")

    def __init__(self, run: Callable[[AppContext], int], takes: frozenset[str] = frozenset()) -> None:
        self.run = run
        self.takes = takes


#: The global options a pipeline command reads from its AppContext.
PIPELINE_GLOBALS = frozenset({"config", "strict", "dry_run", "verbose"})

#: The shapes answered here: the words after the global options, exactly → the command.
SHAPES: dict[tuple[str, ...], Shape] = {
    ("status", "--json"): Shape(_at_root(status_json)),
    ("status",): Shape(_at_root(status_table)),
    ("down",): Shape(_at_root(down)),
    ("tui",): Shape(tui, frozenset({"config"})),
    # --timeout stays typer's (its lower bound is checked there).
    ("plan",): Shape(_at_once(plan), PIPELINE_GLOBALS),
    ("plan", "--json"): Shape(_at_once(plan_json), PIPELINE_GLOBALS),
    ("up",): Shape(_at_once(up), PIPELINE_GLOBALS),
}


def parse_fast(args: list[str]) -> tuple[tuple[str, ...], AppContext] | None:
    """For `[-C DIR | --repo-root DIR | --repo-root=DIR] <shape>` (plus the global options the
    shape takes): (the shape's words, the global options read). None for any other line."""
    from devctl.cli.context import AppContext
    from devctl.cli.global_options import split_globals

    found = split_globals(args)
    words = tuple(found.rest)
    shape = SHAPES.get(words)
    if shape is None or not found.complete or found.given - {"repo_root"} - shape.takes:
        return None
    return words, AppContext.from_args(found)


def parse_fast_status(args: list[str]) -> Path | None | bool:
    """For `[-C DIR] status --json`: the -C value (or None); False for any other shape."""
    parsed = parse_fast(args)
    if parsed is None or parsed[0] != ("status", "--json"):
        return False
    return parsed[1].repo_root_opt


def plugin_command(args: list[str]) -> Callable[[], int] | None:
    """`[GLOBAL OPTIONS] NAME ARGS...` for a plugin command the repo's cache knows and holds
    fresh (the warm case; anything else — a stale or missing cache, an unknown name, `--help`
    before a `--`, `--timeout`, whose checks typer owns — goes through typer, which refreshes
    the cache or says what is wrong). Runs through the same function as the typer command."""
    from devctl.cli.global_options import HELP_FLAGS, split_globals

    found = split_globals(args)
    if not found.complete or not found.rest or found.given & {"timeout", "version", "help"}:
        return None
    name = found.rest[0]
    if name.startswith("-"):
        return None
    from devctl.plugin_commands.names import BUILTIN_NAMES

    if name in BUILTIN_NAMES:
        return None
    from devctl.cli import plugin_invoke
    from devctl.cli.context import AppContext

    before, after = plugin_invoke.split_plugin_args(found.rest[1:])
    if any(arg in HELP_FLAGS for arg in before):
        return None  # the command's help: typer's
    app = AppContext.from_args(found)
    if app.repo_root_opt is not None and not app.repo_root_opt.is_dir():
        return None  # typer reports a bad -C
    state = plugin_invoke.cached(app)
    if state is None or state[0] is None or not state[1] or name not in plugin_invoke.resolved(state[0]):
        return None
    fresh = state[0]
    return lambda: plugin_invoke.run(app, name, [*before, *after], None, known=fresh)


def try_fast(args: list[str]) -> Callable[[], int] | None:
    """The command that answers `args` without typer (call it for the exit code), or None."""
    parsed = parse_fast(args)
    if parsed is None:
        return plugin_command(args)
    words, app = parsed
    if app.repo_root_opt is not None and not app.repo_root_opt.is_dir():
        return None  # let typer report the bad -C value the usual way
    return lambda: SHAPES[words].run(app)
