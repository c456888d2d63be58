"""The parser of every option that takes a timeout: `--timeout 10s`, `--timeout 2.5`.

A thin wrapper around `devctl.util.duration.parse_duration` (the one parser), so each option
reports a bad value the usual way — `Invalid value for '--timeout': ...`, exit 2 — and checks
its own lower bound. The value reaching the command is always seconds (a float). Use it as
`typer.Option(..., parser=duration(0.1), metavar=DURATION)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

#: The metavar the help shows for a duration option.
DURATION = "DURATION"


def duration(minimum: float | None = None) -> Callable[[Any], float]:
    """A typer `parser`: plain seconds or a Go-style duration (`500ms`, `10s`, `2m`) → seconds."""

    def parse(value: Any) -> float:
        from devctl.util.duration import DurationError, format_duration, parse_duration

        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value)  # a default, already in seconds
        else:
            try:
                seconds = parse_duration(str(value))
            except DurationError as exc:
                raise typer.BadParameter(str(exc)) from None
        if minimum is not None and seconds < minimum:
            raise typer.BadParameter(f"{value!r} is shorter than the minimum, {format_duration(minimum)}")
        return seconds

    parse.__name__ = "duration"
    return parse
