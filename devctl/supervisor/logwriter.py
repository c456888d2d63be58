"""A service's log writer: stamps lines with their time and rotates files by size (`logs:` option).

Only a service whose plan asks for `logs: {timestamps: true}` or `logs: {max_size: …}` gets
one; every other service writes its log files itself (fds 1 and 2 are the files, see `spawn`).

Who writes, and why a process of its own. The service's stdout and stderr are pipes whose
read ends only this small process holds (`python -m devctl.supervisor.logwriter`, started by
`spawn` next to the service, in a session of its own, without DEVCTL_RUN / DEVCTL_SERVICE).
It does not depend on the supervisor: when the supervisor is SIGKILLed the writer goes on
reading, and the service never sees a broken pipe. It exits when both pipes reach end of file,
that is when the service and everything that inherited its stdout/stderr have exited, after
writing what the pipes still held: no line is dropped by a supervisor crash, a restart or
`down`. (Had the supervisor read the pipes itself, its death would close them: the service
would get SIGPIPE or lose what was in flight.) What the writer cannot survive is being
killed itself; then the service blocks once the pipe (64 KiB) is full, as with `cmd | tee`.

Rotation: when the next bytes would take the file past `max_size`, the file ends at the last
complete line that fits and the generations shift (`logfiles.shift`: `.log` → `.log.1` …, the
oldest beyond `keep` deleted). A line already begun when the limit is reached is finished in
the same file (reads from a pipe rarely end at a line end), so a file ends on a line end and
holds at most 2 × `max_size`; only a line longer than `max_size` is split across files. On
disk a stream takes at most (`keep` + 1) × 2 × `max_size`, usually about (`keep` + 1) × `max_size`.
A writer whose file was already moved away by a restart (`spawn` rotated it while this writer
was draining the previous run) keeps writing to it, under its new name, and never rotates.
A full disk drops the bytes that could not be written (one message on the supervisor log per
file) rather than blocking the service.

Stdlib only: it starts in ~20 ms and imports nothing of devctl but `logfiles`.
"""

from __future__ import annotations

import json
import os
import selectors
import sys
import time
from collections.abc import Callable
from pathlib import Path

from devctl.supervisor.logfiles import format_ts, shift

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: imported while `up` plans (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any

#: Bytes per read from a pipe (its buffer size).
CHUNK = 65536


def open_append(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)


class StreamWriter:
    """One stream's file: stamping and size rotation over plain `write(2)` calls. Pure but for
    the file system, so the rules are tested without a process."""

    def __init__(self, path: Path, *, timestamps: bool = False, max_size: int | None = None, keep: int = 1,
                 clock: Callable[[], float] = time.time):
        self.path = path
        self.timestamps = timestamps
        self.max_size = max_size
        self.keep = keep
        self.clock = clock
        self.fd = open_append(path)
        st = os.fstat(self.fd)
        self.inode = st.st_ino
        self.size = st.st_size
        #: The next byte starts a line (the file is empty or ends with a newline).
        self.at_line_start = True
        self._reported = False

    def feed(self, chunk: bytes) -> None:
        """Write what a read from the pipe returned."""
        if not chunk:
            return
        if self.timestamps:
            stamp = format_ts(self.clock()).encode()
            body = chunk.replace(b"\n", b"\n" + stamp)
            if chunk.endswith(b"\n"):
                body = body[: -len(stamp)]  # the next line is stamped when its first byte arrives
            chunk = stamp + body if self.at_line_start else body
        self._write(chunk)

    def _write(self, data: bytes) -> None:
        limit = self.max_size
        while data:
            if limit is None or self.size + len(data) <= limit:
                self._raw(data)
                return
            nl = data.rfind(b"\n", 0, max(0, limit - self.size))  # the last whole line that fits
            if nl < 0 and not self.at_line_start:
                # The line being written began before the limit: finish it here, up to 2 x limit.
                nl = data.find(b"\n", 0, max(0, 2 * limit - self.size))
            if nl >= 0:
                self._raw(data[: nl + 1])
                data = data[nl + 1:]
            elif self.size > 0 and self.at_line_start:
                pass  # the next line does not fit: it starts the next file
            else:  # a line longer than the limit: split it
                cut = max(1, (limit if self.at_line_start else 2 * limit) - self.size)
                self._raw(data[:cut])
                data = data[cut:]
            self._rotate()
            limit = self.max_size

    def _raw(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
            except OSError as exc:
                if not self._reported:
                    self._reported = True
                    sys.stderr.write(f"log writer: {self.path}: {exc.strerror or exc}; "
                                     f"output dropped until writing works again\n")
                    sys.stderr.flush()
                break
            self.size += n
            view = view[n:]
        self.at_line_start = data.endswith(b"\n")

    def _rotate(self) -> None:
        try:
            moved = os.stat(self.path).st_ino != self.inode
        except FileNotFoundError:
            moved = True
        if moved:  # a restart took the name: this is the previous run's file now
            self.max_size = None
            return
        shift(self.path, self.keep)
        new = open_append(self.path)
        os.close(self.fd)
        self.fd = new
        self.inode = os.fstat(new).st_ino
        self.size = 0
        self._reported = False

    def close(self) -> None:
        os.close(self.fd)


def run(streams: list[tuple[int, StreamWriter]]) -> None:
    """Copy every pipe to its writer until each one reaches end of file."""
    sel = selectors.DefaultSelector()
    for fd, stream in streams:
        sel.register(fd, selectors.EVENT_READ, stream)
    while sel.get_map():
        for key, _mask in sel.select():
            try:
                data = os.read(key.fd, CHUNK)
            except InterruptedError:
                continue
            writer: StreamWriter = key.data
            if data:
                writer.feed(data)
            else:
                sel.unregister(key.fd)
                os.close(key.fd)
                writer.close()


def argv(streams: list[tuple[int, Path]], options: dict[str, Any]) -> list[str]:
    """The command line that runs a writer for `streams` ((read fd, log path) pairs)."""
    spec = {"streams": [[fd, str(path)] for fd, path in streams], "timestamps": options["timestamps"],
            "max_size": options["max_size"], "keep": options["keep"]}
    return [sys.executable, "-m", "devctl.supervisor.logwriter", json.dumps(spec)]


def main(args: list[str]) -> int:
    spec = json.loads(args[0])
    streams = [(int(fd), StreamWriter(Path(path), timestamps=bool(spec["timestamps"]),
                                      max_size=spec["max_size"], keep=int(spec["keep"])))
               for fd, path in spec["streams"]]
    run(streams)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
