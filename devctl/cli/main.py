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
    from devctl.cli import fasthelp

    if fasthelp.wants_help(args):
        fasthelp.defer()
    import typer

    from devctl.cli.app import app
    from devctl.errors import EXIT_INTERRUPTED, DevctlError

    command = typer.main.get_command(app)
    try:
        command.main(args=args, prog_name="devctl", standalone_mode=True)
    except DevctlError as exc:
        from devctl.cli.output import error

        error(exc.message, exc.details)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
