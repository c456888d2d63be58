"""The stable error codes devctl raises about a plugin, and the `Failure` record that carries one.

Every code here is documented in docs/protocol.md (a test checks that), and every message puts
the code in brackets (`plugin 'x' [E_TIMEOUT]: ...`) so a user can search the docs for exactly
what they see. One place for the codes keeps the host, the docs and the tests in step.
"""

from __future__ import annotations

from collections import namedtuple

from devctl.errors import PluginError

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")

#: The plugin's executable could not be started (missing, not executable, bad workdir).
E_SPAWN = "E_SPAWN"
#: No handshake on stdout within the handshake timeout (2 s by default).
E_HANDSHAKE_TIMEOUT = "E_HANDSHAKE_TIMEOUT"
#: The first stdout frame was JSON but not a valid v1 handshake.
E_BAD_HANDSHAKE = "E_BAD_HANDSHAKE"
#: A stdout line that is not a JSON object (a banner, a debug print, a blank line before the
#: handshake). After the handshake it fails the plugin; reported at the end of the command if no
#: request saw it: an error when devctl needed the plugin, else a warning (error under --strict).
E_CONTAMINATION = "E_CONTAMINATION"
#: A blank stdout line after the handshake: skipped with a warning (the Go devctl skips it
#: silently); an error under --strict.
E_BLANK_LINE = "E_BLANK_LINE"
#: A handshake without capabilities.ops: read as "no ops" with a warning; an error under --strict.
E_NO_OPS = "E_NO_OPS"
#: A stdout line longer than 1 MiB.
E_LINE_TOO_LONG = "E_LINE_TOO_LONG"
#: A JSON object on stdout that is not a valid response/event frame.
E_BAD_FRAME = "E_BAD_FRAME"
#: A response whose request_id devctl never sent (or had already been answered).
E_UNKNOWN_REQUEST_ID = "E_UNKNOWN_REQUEST_ID"
#: An event for a stream nobody opened (a warning, the event is not delivered).
E_UNKNOWN_STREAM = "E_UNKNOWN_STREAM"
#: No response within the request timeout; the plugin was stopped.
E_TIMEOUT = "E_TIMEOUT"
#: The plugin exited (or closed its stdout) while devctl still needed it.
E_CRASHED = "E_CRASHED"
#: devctl was asked to send an op the plugin did not declare; nothing was sent.
E_UNDECLARED_OP = "E_UNDECLARED_OP"
#: The plugin answered ok:false.
E_PLUGIN_ERROR = "E_PLUGIN_ERROR"
#: open_stream: the response carried no output.stream_id.
E_NOT_A_STREAM = "E_NOT_A_STREAM"
#: A stream ended with `event: end` and ok:false.
E_STREAM_FAILED = "E_STREAM_FAILED"
#: More events were waiting for the subscriber than the stream buffer holds.
E_STREAM_OVERFLOW = "E_STREAM_OVERFLOW"
#: The plugin was already closed by devctl when a request was made.
E_CLOSED = "E_CLOSED"

ALL_CODES = (
    E_SPAWN,
    E_HANDSHAKE_TIMEOUT,
    E_BAD_HANDSHAKE,
    E_CONTAMINATION,
    E_BLANK_LINE,
    E_NO_OPS,
    E_LINE_TOO_LONG,
    E_BAD_FRAME,
    E_UNKNOWN_REQUEST_ID,
    E_UNKNOWN_STREAM,
    E_TIMEOUT,
    E_CRASHED,
    E_UNDECLARED_OP,
    E_PLUGIN_ERROR,
    E_NOT_A_STREAM,
    E_STREAM_FAILED,
    E_STREAM_OVERFLOW,
    E_CLOSED,
)


if TYPE_CHECKING:
    from typing import NamedTuple

    class _FailureFields(NamedTuple):
        code: str
        message: str
else:  # the same fields without `typing` (tests/unit/test_runtime_shapes.py keeps them equal)
    _FailureFields = namedtuple("Failure", "code message")


class Failure(_FailureFields):
    """Why a plugin (or one of its streams) can no longer be used.

    Stored rather than raised: the same failure is reported to every request that was waiting,
    to every later request, and to open streams, each time as a fresh `PluginError` carrying
    the stderr tail as it is *when raised* (so lines the plugin wrote just before dying show).
    A named tuple, not a frozen dataclass: as immutable, and no methods compiled at import
    (the plugin host's start-up path imports this module).
    """

    __slots__ = ()

    def error(self, plugin: str, *, op: str | None = None, details: list[str] | None = None) -> PluginError:
        message = self.message if op is None else f"{self.message} (while running op {op!r})"
        return PluginError(plugin, message, details=details, code=self.code, op=op)
