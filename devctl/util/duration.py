"""Durations as the Go devctl writes them (`500ms`, `10s`, `2m`, `1m30s`), or plain seconds.

One parser for every option that takes a timeout, so `--timeout 10s` means the same to every
command, and scripts written for the Go devctl (whose flags are Go durations) keep working.
A plain number stays seconds (`--timeout 2.5`), as devctl has always read it. The units are
Go's `time.ParseDuration` units: `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`; a duration may chain
several (`1h2m3.5s`). Signs are refused: no timeout is negative.
"""

from __future__ import annotations

import math
import re

#: Seconds per unit.
UNITS: dict[str, float] = {
    "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0,
}
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_PART = re.compile(rf"({_NUMBER})(ns|us|µs|μs|ms|s|m|h)")
_WHOLE = re.compile(rf"(?:{_NUMBER}(?:ns|us|µs|μs|ms|s|m|h))+")
_PLAIN = re.compile(rf"{_NUMBER}")


class DurationError(ValueError):
    """Not a duration; the message says what is accepted."""


def parse_duration(text: str) -> float:
    """Seconds for `text`: a plain number of seconds or a Go-style duration. Raises DurationError."""
    value = text.strip()
    if _PLAIN.fullmatch(value):
        seconds = float(value)
    elif _WHOLE.fullmatch(value):
        seconds = sum(float(number) * UNITS[unit] for number, unit in _PART.findall(value))
    else:
        raise DurationError(f"{text!r} is not a duration: use seconds (30, 2.5) or a number with a unit, "
                            "as in 500ms, 10s, 2m or 1m30s (units: ns, us, ms, s, m, h)")
    if not math.isfinite(seconds):
        raise DurationError(f"{text!r} is not a finite duration")
    return seconds


def format_duration(seconds: float) -> str:
    """`seconds` the way the help texts show defaults: `30s`, `500ms`, `2m`."""
    if seconds and seconds < 1:
        return f"{seconds * 1000:g}ms"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"
