"""Console entry point. `--version` is answered before typer is even imported."""

from __future__ import annotations

import sys

from devctl.version import version_text


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        sys.stdout.write(version_text() + "\n")
        return
    from devctl.cli.fastpath import try_fast_status

    code = try_fast_status(args)
    if code is not None:
        sys.exit(code)
    from devctl.cli.tui_launch import try_fast_tui

    code = try_fast_tui(args)  # `devctl [-C DIR] tui`: the dashboard's first frame waits for no typer
    if code is not None:
        sys.exit(code)
    from devctl.cli.global_options import split_globals, wants_help

    if wants_help(args):
        from devctl.cli import fasthelp

        fasthelp.defer()
    import typer

    from devctl.cli.app import app
    from devctl.cli.context import AppContext
    from devctl.errors import EXIT_INTERRUPTED, DevctlError

    command = typer.main.get_command(app)
    found = split_globals(args)
    # Until the root callback has parsed them, code that needs the global options (the
    # plugin-command hooks, while click resolves the command name or answers --help) finds
    # this reading of the same argv in ctx.obj; the callback then replaces it with typer's.
    seed = AppContext.from_args(found) if found.complete else None
    try:
        command.main(args=args, prog_name="devctl", standalone_mode=True, obj=seed)
    except DevctlError as exc:
        from devctl.cli.output import error

        error(exc.message, exc.details)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
