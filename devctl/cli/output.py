"""Output helpers: one place that decides colours, JSON, and how errors look.

rich honours NO_COLOR and non-terminals by itself; data goes to stdout, messages and
progress to stderr, so `devctl plan --json | jq` always gets clean JSON.
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


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


def print_json(obj: Any) -> None:
    """Machine-readable output: plain JSON on stdout, no colour, no wrapping."""
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def warn(message: str) -> None:
    from rich.markup import escape

    err().print(f"[yellow]warning:[/yellow] {escape(message)}")


def info(message: str) -> None:
    from rich.markup import escape

    err().print(escape(message))


def error(message: str, details: list[str] | None = None) -> None:
    """The single error message a failing command prints (plus optional detail lines)."""
    from rich.markup import escape

    err().print(f"[bold red]error:[/bold red] {escape(message)}")
    for line in details or []:
        err().print(f"  {escape(line)}", style="dim")
