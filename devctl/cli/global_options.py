"""The global options, read from the argument list given to `main()`.

`devctl [-C DIR] [--config FILE] [--strict] [--dry-run] [--timeout DURATION] [-v] [-V] [-h] COMMAND ...`

typer parses these for every ordinary invocation (the root callback in `cli/app.py` declares
them, with their help and checks). Some code must read them *before* typer has: the
`status --json` fast path (typer is never imported there), the `--help` speed-up, and the
plugin-command hooks (click resolves a command name, and answers `--help`, before the root
callback runs). All of those read them here, from the same `argv`, so there is one reading of
the raw arguments; `tests/unit/cli/test_global_options.py` keeps this table equal to the
options the root callback declares.
"""

from __future__ import annotations

from pathlib import Path

#: Options that take a value (`-C DIR`, `-CDIR`, `--repo-root DIR`, `--repo-root=DIR`) → field.
VALUED = {"-C": "repo_root", "--repo-root": "repo_root", "--config": "config", "--timeout": "timeout"}
#: Flags → field (`-v` counts).
FLAGS = {
    "--strict": "strict", "--dry-run": "dry_run", "-v": "verbose", "--verbose": "verbose",
    "-V": "version", "--version": "version", "-h": "help", "--help": "help",
}
HELP_FLAGS = ("-h", "--help")


class GlobalArgs:
    """The global options before the command name, and what follows them.

    A plain class, not a dataclass: `dataclasses` imports `inspect` (~10-25 ms), and every
    fast command (`status`, `down`, plugin commands) reads its options with this first."""

    def __init__(self) -> None:
        self.repo_root: Path | None = None
        self.config: Path | None = None
        self.strict = False
        self.dry_run = False
        self.timeout: float | None = None  # None: not given (the default applies)
        self.verbose = 0
        self.version = False
        self.help = False
        #: The command name and its arguments.
        self.rest: list[str] = []
        #: False when something before the command is not a well-formed global option: typer
        #: then reports it the usual way, and nobody else should act on this reading.
        self.complete = True
        #: The fields the user gave.
        self.given: set[str] = set()

    def _set(self, name: str, value: str | None) -> None:
        self.given.add(name)
        if name == "verbose":
            self.verbose += 1
        elif name in ("repo_root", "config"):
            setattr(self, name, Path(value or ""))
        elif name == "timeout":
            from devctl.util.duration import parse_duration

            self.timeout = parse_duration(value or "")  # the one duration parser: 10s, 2.5
        else:
            setattr(self, name, True)


def split_globals(argv: list[str]) -> GlobalArgs:
    """Read the global options up to the command name (the first word not starting with '-')."""
    found = GlobalArgs()
    i = 0
    try:
        while i < len(argv):
            arg = argv[i]
            if not arg.startswith("-") or arg == "-":
                break
            name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
            if name in VALUED:
                if not eq:
                    i += 1
                    if i >= len(argv):
                        found.complete = False
                        break
                    value = argv[i]
                found._set(VALUED[name], value)
            elif arg.startswith("-C") and not arg.startswith("--"):
                found._set("repo_root", arg[2:])
            elif name in FLAGS and not eq:
                found._set(FLAGS[name], None)
            elif not arg.startswith("--") and all(f"-{c}" in FLAGS for c in arg[1:]):
                for c in arg[1:]:  # -vv, -vh
                    found._set(FLAGS[f"-{c}"], None)
            else:
                found.complete = False
                break
            i += 1
    except ValueError:  # --timeout abc (a DurationError is a ValueError)
        found.complete = False
    found.rest = list(argv[i:])
    return found


def wants_help(argv: list[str]) -> bool:
    """Will this invocation print help (of the root or of any command)?"""
    return not argv or any(arg in HELP_FLAGS for arg in argv)
