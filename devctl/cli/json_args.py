"""One way to read a JSON argument: a file named on the command line, `-` for stdin, or text.

Every command that takes JSON from the user (`stream --input/--input-file`, `dotagent ...
--config/--payload`, `dofek validate FILE|-`) reads it here, so a broken argument gets the
same message everywhere — `WHERE:LINE:COL: WHAT is not valid JSON: REASON` — and the same
exit code: 2, a usage error (ConfigError). Judging a well-formed document (a poll_response
that breaks the spec, say) is the command's business and exits 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from devctl.errors import ConfigError

STDIN = "-"


def source_label(source: str) -> str:
    """How messages name a source: the path as given, `<stdin>` for `-`."""
    return "<stdin>" if source == STDIN else source


def read_source(source: str) -> str:
    """The text of a file, or of stdin for `-`; ConfigError (exit 2) when it cannot be read."""
    try:
        return sys.stdin.read() if source == STDIN else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise ConfigError(f"{source_label(source)}: cannot read: {reason}") from None


def parse_json(text: str, label: str, what: str) -> Any:
    """`text` as JSON; ConfigError naming `label`, the line and column, and `what` it should be."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{label}:{exc.lineno}:{exc.colno}: {what} is not valid JSON: {exc.msg}") from None


def read_json(source: str, what: str) -> Any:
    """The JSON document in a file, or on stdin for `-`."""
    return parse_json(read_source(source), source_label(source), what)


def require_object(value: Any, label: str, what: str) -> dict[str, Any]:
    """`value` if it is a JSON object; ConfigError otherwise."""
    if not isinstance(value, dict):
        raise ConfigError(f"{label}: {what} must be a JSON object, got {type(value).__name__}")
    return value
