"""Console entry point. `--version` is answered before typer is even imported."""

from __future__ import annotations

import sys

from devctl.version import version_text

#: Not `typing.TYPE_CHECKING`: importing `typing` would be most of what `--version` costs
#: (type checkers treat any constant of this name as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        sys.stdout.write(version_text() + "\n")
        return
    if args[-1:] == ["down"]:  # its request goes out before the rest is imported (cli/down_early.py)
        from devctl.cli.down_early import begin

        begin(args)
    if argv is None:  # the program itself, not a caller that wants its SystemExit back
        from devctl.cli import teardown

        teardown.as_program = True
    from devctl.cli.fastpath import try_fast

    fast = try_fast(args)
    if fast is not None:  # one of the exact shapes answered without typer (cli/fastpath.py)
        _run(fast)
    from devctl.cli.global_options import split_globals, wants_help

    help_key = None
    if wants_help(args):
        from devctl.cli import fasthelp, help_cache

        help_key = help_cache.key_for(args)
        if help_key is not None:
            code = help_cache.replay(help_key)  # the same text as last time, without typer
            if code is not None:
                sys.exit(code)
        fasthelp.defer()
    import typer

    from devctl.cli.app import app
    from devctl.cli.context import AppContext

    command = typer.main.get_command(app)
    found = split_globals(args)
    # Until the root callback has parsed them, code that needs the global options (the
    # plugin-command hooks, while click resolves the command name or answers --help) finds
    # this reading of the same argv in ctx.obj; the callback then replaces it with typer's.
    seed = AppContext.from_args(found) if found.complete else None
    run: Callable[[], object] = lambda: command.main(  # noqa: E731
        args=args, prog_name="devctl", standalone_mode=True, obj=seed)
    if help_key is not None:
        run = help_cache.recording(help_key, run)  # keeps the text for the next time
    _run(run)


def _run(command: Callable[[], object]) -> NoReturn:
    """Run the command and exit with its code: the one place that turns a DevctlError into
    `error: ...` and its exit code, and Ctrl-C into 130, for the typer and the fast paths alike,
    and that spares the exit's garbage collection the objects alive then (cli/teardown.py)."""
    from devctl.cli.teardown import before_exit
    from devctl.errors import EXIT_INTERRUPTED, DevctlError

    try:
        code = command()
    except DevctlError as exc:
        from devctl.cli.output import error

        error(exc.message, exc.details)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    finally:  # whatever happened, the process exits next: every command ends the same way
        before_exit()
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
