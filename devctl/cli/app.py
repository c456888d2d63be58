"""The root `devctl` typer app: global options and the lazy command table."""

from __future__ import annotations

from pathlib import Path

import typer

from devctl.cli.context import AppContext
from devctl.cli.durations import DURATION, duration
from devctl.cli.lazy import LazyGroup

HELP = """\
Run your repo's dev environment from plugins.

devctl reads [bold].devctl.yaml[/bold], starts the repo's plugins, asks them for config, \
build and prepare steps, validation and a launch plan, then supervises the planned services.

  devctl up          start everything, wait until healthy
  devctl status      what runs, and how it is doing
  devctl logs -f     follow every service's output
  devctl down        stop everything

Global options go before the command: [bold]devctl -C path/to/repo status[/bold].
Exit codes: 0 ok, 1 operation failed, 2 usage or configuration error, 3 not running (status).
"""

app = typer.Typer(
    cls=LazyGroup,
    name="devctl",
    help=HELP,
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from devctl.version import version_text

        typer.echo(version_text())
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    repo_root: Path | None = typer.Option(
        None, "-C", "--repo-root", help="Repo root (default: nearest dir with .devctl.yaml).",
        file_okay=False, dir_okay=True, exists=True,
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Config file; a relative path is relative to the repo root."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Collisions and plugin-protocol warnings are errors (as strictness: error)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Ask plugins to skip side effects; start nothing."),
    timeout: float = typer.Option(
        30.0, "--timeout", parser=duration(0.1), metavar=DURATION,
        help="Per-phase plugin timeout: seconds, or a duration like 500ms, 10s, 2m.",
    ),
    verbose: int = typer.Option(0, "-v", "--verbose", count=True, help="Show plugin stderr (-v) and more."),
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Show version and protocols."
    ),
) -> None:
    ctx.obj = AppContext(
        repo_root_opt=repo_root,
        config_opt=config,
        strict=strict,
        dry_run=dry_run,
        timeout=timeout,
        verbose=verbose,
    )
