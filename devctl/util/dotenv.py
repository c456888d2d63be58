"""Read `.env` files (a service's `env_file:`): the dotenv syntax docker compose and python-dotenv read.

A small parser of our own rather than python-dotenv: devctl needs every mistake to be an error
naming `file:line` (python-dotenv logs a warning and skips the line, so a typo silently drops a
secret), and values taken literally (python-dotenv and compose expand `${VAR}`, which would
clash with devctl's own `${config...}` references and make a value depend on whoever runs
devctl). The syntax, line by line:

- blank lines and lines starting with `#` are ignored; `export ` before the key is allowed;
- `KEY=value`: the key is letters, digits, `_`, `.` and `-`, not starting with a digit;
  spaces around the key and the `=` are ignored;
- unquoted values are trimmed, and ` #` (a `#` after a blank) starts a comment;
- `'single quoted'` values are literal (no escapes) and may span lines;
- `"double quoted"` values may span lines and understand `\\n`, `\\r`, `\\t`, `\\"`, `\\\\`, `\\$`
  (any other backslash stays as written);
- after a closing quote only blanks and a `# comment` may follow;
- a key given twice: the later line wins (and a later file over an earlier one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_EXPORT = re.compile(r"export[ \t]+")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$"}


class DotenvError(ValueError):
    """A line that is not `KEY=value`; the message starts with `file:line:`."""


def parse(text: str, display: str = "<env>") -> dict[str, str]:
    """The variables `text` sets, in order; raises DotenvError naming `display:line`."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    env: dict[str, str] = {}
    pos, line = 0, 1
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        raw = text[pos:end]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            pos, line = end + 1, line + 1
            continue
        key, value, pos, used = _entry(text, pos, line, display)
        env[key] = value
        line += used
    return env


def _entry(text: str, pos: int, line: int, display: str) -> tuple[str, str, int, int]:
    """(key, value, position after the entry, lines it used) for the entry starting at `pos`."""

    def fail(message: str, at: int = line) -> DotenvError:
        return DotenvError(f"{display}:{at}: {message}")

    end = text.find("\n", pos)
    end = len(text) if end < 0 else end
    head = text[pos:end].lstrip(" \t")
    head = _EXPORT.sub("", head, count=1) if _EXPORT.match(head) else head
    match = _KEY.match(head)
    if match is None:
        raise fail(f"expected KEY=value, got {head.strip()!r}")
    key = match.group(0)
    rest = head[match.end():].lstrip(" \t")
    if not rest.startswith("="):
        raise fail(f"expected '=' after {key!r} (a line is KEY=value)")
    after_eq = rest[1:]
    rest = after_eq.lstrip(" \t")
    start = end - len(rest)  # where the value starts in `text`
    if not rest or rest[0] not in "'\"":
        # `#` after a blank starts a comment (`KEY= # note` is empty); `KEY=a#b` keeps it.
        value = re.split(r"[ \t]#", after_eq, maxsplit=1)[0].strip()
        return key, value, end + 1, 1
    quote = rest[0]
    i = start + 1
    chars: list[str] = []
    while True:
        if i >= len(text):
            raise fail(f"{key}: the {quote} opened here is never closed")
        ch = text[i]
        if ch == quote:
            break
        if ch == "\\" and quote == '"' and i + 1 < len(text):
            nxt = text[i + 1]
            chars.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        chars.append(ch)
        i += 1
    after_end = text.find("\n", i)
    after_end = len(text) if after_end < 0 else after_end
    tail = text[i + 1:after_end].strip(" \t")
    used = text.count("\n", pos, i) + 1
    if tail and not tail.startswith("#"):
        raise fail(f"{key}: unexpected {tail!r} after the closing {quote} (quote the whole value)",
                   line + used - 1)
    return key, "".join(chars), after_end + 1, used


def read_files(paths: Iterable[Path], display: dict[Path, str] | None = None) -> dict[str, str]:
    """The variables of every file, a later file winning over an earlier one.

    Raises FileNotFoundError / OSError for a file that cannot be read (the caller names it the
    way its user wrote it) and DotenvError for a bad line (named by `display` or the path)."""
    env: dict[str, str] = {}
    for path in paths:
        name = (display or {}).get(path, str(path))
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DotenvError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        env.update(parse(text, name))
    return env
