"""`devctl down`'s `shutdown` request, sent before the CLI has imported anything else.

Why: the services' own exit is most of `devctl down`, and it can only start once the request is
out. `cli/down_early.py` calls `begin_shutdown` first thing, so that what the CLI imports next
(the fast-path table, the client, the line codec, typing, the output modules: 15-30 ms of CPU)
overlaps the services' exit instead of preceding it; `client.down` then takes the connection
(`take_begun`) and reads the reply with the ordinary codec (`control.call_until_closed(sent=...)`).

For the same reason this module and what it imports are lean: `os`, `errno`, `fcntl`, `_socket`,
`devctl.layout` and `devctl.supervisor.paths`, no `pathlib`, `re`, `socket` (with `selectors` and
`enum`'s flags, 2-4 ms), `typing` or `json`: the one line is written by hand. Pinned by
tests/integration/test_import_budget.py (what is loaded at the moment of the connect).
Any failure here only means the ordinary path sends the request itself.
"""

from __future__ import annotations

import os

from devctl.supervisor.paths import short_socket_path, supervisor_alive

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `typing` is an import this module avoids
if TYPE_CHECKING:
    import socket
    from pathlib import Path
    from typing import Any

#: Shutdown requests `begin_shutdown` sent, by socket path, until `take_begun` collects one
#: (`_socket` connections: see the module docstring and `take_begun`).
_begun: dict[str, Any] = {}


def begin_shutdown(sock_path: str | Path, lock: str | Path) -> bool:
    """Send a plain `shutdown` (no options) to the live supervisor now, and keep the connection
    for `take_begun`; False (nothing sent) when no supervisor holds `lock` or none answers."""
    import _socket

    from devctl.errors import DevctlError

    try:
        if not supervisor_alive(lock):
            return False
        address, dirfd = short_socket_path(sock_path)
    except (DevctlError, OSError):
        return False
    sock = _connection_type()(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(address)
        sock.sendall(b'{"op": "shutdown"}\n')
    except OSError:
        sock.close()
        return False
    finally:
        if dirfd is not None:
            os.close(dirfd)
    _begun[os.fspath(sock_path)] = sock
    return True


def take_begun(sock_path: str | Path) -> socket.socket | None:
    """The connection of the `shutdown` `begin_shutdown` sent to `sock_path`, if it did (once).

    Not a `socket.socket`: the `socket` module (with `selectors`, `array` and its enums) is
    3-7 ms of CPU that `down` would spend while the services exit, and what reads the reply
    (`control.call_until_closed`) needs only what the raw connection has, and `with`."""
    return _begun.pop(os.fspath(sock_path), None)  # type: ignore[no-any-return]


def _connection_type() -> Any:
    """`_socket.socket` with `with` (closes it), as `socket.socket` has."""
    global _Connection
    if _Connection is None:
        import _socket

        class Connection(_socket.socket):
            __slots__ = ()

            def __enter__(self) -> Connection:
                return self

            def __exit__(self, *exc_info: object) -> None:
                self.close()

        _Connection = Connection
    return _Connection


_Connection: Any = None
