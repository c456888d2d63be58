"""A tiny Redis client (RESP2 over one TCP connection), standard library only.

Enough for this example: send a command as an array of bulk strings, read one reply.
Shared by the web app, the devctl plugin (db-reset) and the Dofek plugin.
"""

import socket


class RedisError(Exception):
    """An error reply from the server (`-ERR ...`), or a connection problem."""


class Redis:
    def __init__(self, port, host="127.0.0.1", timeout=2.0):
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as exc:
            raise RedisError(f"cannot connect to redis at {host}:{port}: {exc.strerror or exc}") from None
        self._file = self._sock.makefile("rb")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._file.close()
        self._sock.close()

    def command(self, *args):
        """Send one command, return its reply (str, int, None, or a list of those)."""
        parts = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        try:
            self._sock.sendall(b"".join(parts))
            return self._reply()
        except OSError as exc:
            raise RedisError(f"redis connection failed: {exc.strerror or exc}") from None

    def _line(self):
        line = self._file.readline()
        if not line.endswith(b"\r\n"):
            raise RedisError("redis closed the connection")
        return line[:-2]

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self._file.read(size + 2)
            return data[:-2].decode("utf-8", "replace")
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self._reply() for _ in range(count)]
        raise RedisError(f"unexpected reply from redis: {line[:80]!r}")


def info(port, timeout=1.0):
    """`INFO` as a flat dict of strings (sections merged)."""
    with Redis(port, timeout=timeout) as r:
        text = r.command("INFO")
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            key, _, value = line.partition(":")
            out[key] = value
    return out


def ping(port, timeout=1.0):
    """True if a Redis server answers PING on the port."""
    try:
        with Redis(port, timeout=timeout) as r:
            return r.command("PING") == "PONG"
    except (RedisError, ValueError):
        return False
