"""Output helpers: one place that decides colours, JSON, and how errors look.

Data goes to stdout, messages and progress to stderr, so `devctl plan --json | jq` always gets
clean JSON. Messages (`error`, `warn`, `info`, `notice`) are written without rich
(`devctl.cli.plain`: ANSI codes on a terminal, plain text with NO_COLOR or when piped, the same
text rich printed), so a command that prints only messages and plain tables never imports it
(~30-85 ms); so is the spinner (`spinner`, devctl.cli.spinner). `out()`/`err()` are rich
consoles for what needs rich: `up`'s live lines and the bordered tables of `plan`, `build` and
friends.
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: every command's messages go through here
if TYPE_CHECKING:
    from typing import Any

    from rich.console import Console

    from devctl.cli.spinner import Spinner


def _style_options() -> dict[str, Any]:
    """NO_COLOR (set, not empty) means plain text. rich by itself drops only the colours and
    keeps bold and dim, which still reach a captured log or a screen reader as escape codes;
    with no colour system it writes no styling at all (live progress still redraws)."""
    return {"color_system": None} if os.environ.get("NO_COLOR") else {}


@cache
def out() -> Console:
    """Console for data (stdout)."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, **_style_options())


@cache
def err() -> Console:
    """Console for messages, warnings and progress (stderr)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True, **_style_options())


def spinner(text: str) -> Spinner:
    """The spinner a command shows on stderr while it waits (`with spinner("…") as shown:`,
    `shown.update("…")`); drawn on a terminal only, without rich (cli/spinner.py)."""
    from devctl.cli.spinner import Spinner

    return Spinner(text)


def print_json(obj: Any) -> None:
    """Machine-readable output: plain JSON on stdout, no colour, no wrapping."""
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def notice(*parts: str | tuple[str, str], stdout: bool = False) -> None:
    """One message line on stderr (`stdout=True`: on stdout) from plain strings and
    `(text, style)` pairs, e.g. `notice(("warning:", "yellow"), " disk full")`; styles are
    rich's words (`bold red`, `dim`), written as ANSI codes only where rich would have."""
    from devctl.cli import plain

    stream = sys.stdout if stdout else sys.stderr
    on = plain.styled(stream)
    text, column = "", 0
    for part in parts:
        words, style = (part, "") if isinstance(part, str) else part
        words = plain.clean(words, column)
        text += plain.paint(words, style, on)
        column = len(words) - words.rfind("\n") - 1 if "\n" in words else column + len(words)
    stream.write(text + "\n")
    stream.flush()


def warn(message: str) -> None:
    notice(("warning:", "yellow"), " " + message)


def info(message: str) -> None:
    notice(message)


def error(message: str, details: list[str] | None = None) -> None:
    """The single error message a failing command prints (plus optional detail lines)."""
    notice(("error:", "bold red"), " " + message)
    for line in details or []:
        notice((f"  {line}", "dim"))
