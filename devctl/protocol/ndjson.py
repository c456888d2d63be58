"""NDJSON line codec shared by all three plugin protocols.

Pure: bytes in, lines or objects out. The one read loop around it, `devctl.procs.lines`,
feeds bytes from pipes and sockets into `LineSplitter`, so the size cap and the
"what is a line" rules live in exactly one place and are fuzzed once.
"""

from __future__ import annotations

import json
import math

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `typing` is an import `status` and `down` skip
if TYPE_CHECKING:
    from typing import Any

#: Lines longer than this are refused: a plugin cannot make devctl buffer without bound.
MAX_LINE_BYTES = 1024 * 1024
#: How much of an offending line an error message quotes.
QUOTE_CHARS = 200


class FrameError(ValueError):
    """A line that is not a valid frame. `line` is the offending text, already cut for quoting."""

    def __init__(self, message: str, line: str = ""):
        super().__init__(message)
        self.message = message
        self.line = line


class LineTooLong(FrameError):
    """A line exceeded `MAX_LINE_BYTES` before its newline arrived."""


def quote(raw: bytes | str, limit: int = QUOTE_CHARS) -> str:
    """Printable, bounded excerpt of a raw line for error messages."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = text.rstrip("\r\n")
    return text if len(text) <= limit else text[:limit] + "…"


def encode(obj: Any) -> bytes:
    """One compact JSON object plus newline. Non-ASCII is kept as UTF-8."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"


class _NonFinite(Exception):
    """`NaN`, `Infinity`, or a number too large for a float (`1e999`): Python's json reads them,
    strict JSON has no such values, and passing them on made `plan --json` print invalid JSON."""


class NonFiniteNumber(FrameError):
    """A JSON object with a NaN / infinite number in it: a bad frame, not stray output."""


def _no_constant(name: str) -> Any:
    raise _NonFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(text)
    return value


def decode(line: bytes | str) -> dict[str, Any]:
    """Parse one line into a JSON object, or raise `FrameError` quoting the line."""
    if isinstance(line, bytes):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise FrameError("line is not valid UTF-8", quote(line)) from None
    else:
        text = line
    text = text.strip()
    if not text:
        raise FrameError("empty line", "")
    try:
        obj = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except _NonFinite as exc:
        raise NonFiniteNumber(f"{exc} is not a JSON number (NaN and infinities are not allowed)",
                         quote(text)) from None
    except (ValueError, RecursionError):
        raise FrameError("not JSON", quote(text)) from None
    if not isinstance(obj, dict):
        raise FrameError(f"expected a JSON object, got {type(obj).__name__}", quote(text))
    return obj


class LineSplitter:
    """Incremental splitter: feed arbitrary byte chunks, get complete lines (without newline).

    Enforces `max_len` on the bytes of one line *before* the newline arrives, so a plugin
    streaming an endless line is refused after `max_len` bytes rather than exhausting memory.
    After `LineTooLong` the splitter is poisoned: the stream is out of sync and the caller
    should fail the plugin.
    """

    def __init__(self, max_len: int = MAX_LINE_BYTES):
        self.max_len = max_len
        self._buf = bytearray()
        self._poisoned = False

    def feed(self, chunk: bytes) -> list[bytes]:
        if self._poisoned:
            raise LineTooLong(f"line longer than {self.max_len} bytes", "")
        lines: list[bytes] = []
        start = 0
        while True:
            nl = chunk.find(b"\n", start)
            if nl < 0:
                break
            piece = chunk[start:nl]
            if len(self._buf) + len(piece) > self.max_len:
                self._poison(bytes(self._buf[:QUOTE_CHARS]) or piece[:QUOTE_CHARS])
            if self._buf:
                self._buf += piece
                lines.append(bytes(self._buf))
                self._buf.clear()
            else:
                lines.append(bytes(piece))
            start = nl + 1
        rest = chunk[start:]
        if len(self._buf) + len(rest) > self.max_len:
            self._poison(bytes(self._buf[:QUOTE_CHARS]) or rest[:QUOTE_CHARS])
        self._buf += rest
        return [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]

    def _poison(self, head: bytes) -> None:
        self._poisoned = True
        self._buf.clear()
        raise LineTooLong(f"line longer than {self.max_len} bytes", quote(head))

    def flush(self) -> bytes | None:
        """At EOF: the unterminated tail, if any (a partial last line)."""
        if self._buf:
            tail = bytes(self._buf)
            self._buf.clear()
            return tail
        return None
