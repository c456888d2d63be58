"""A plugin process driven by hand: raw NDJSON lines in and out, nothing interpreted.

The conformance checker must see exactly what a plugin writes — a banner, a wrong request id,
a late answer — so it does not use devctl's plugin client (which would turn the first such
problem into an exception and stop). Threads read stdout and stderr so a chatty plugin never
blocks on a full pipe; lines come back through a queue with the shared NDJSON size cap.
"""

from __future__ import annotations

import contextlib
import queue
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devctl.procs.exits import describe_exit
from devctl.procs.groups import stop_group_sync
from devctl.procs.lines import LineReader
from devctl.procs.pids import descendants
from devctl.procs.start import popen
from devctl.procs.tails import StderrTail, drain_sync
from devctl.protocol.ndjson import FrameError, LineTooLong, decode, encode, quote


class Eof(Exception):
    """The plugin closed its stdout (usually: it exited)."""


class Timeout(Exception):
    """Nothing arrived before the deadline."""


@dataclass
class Line:
    raw: bytes
    frame: dict[str, Any] | None  # None when the line is not a JSON object
    problem: str = ""  # why it is not a frame


class Session:
    """One running plugin. `lines_seen` keeps every stdout line for the "stdout clean" check."""

    def __init__(self, argv: list[str], *, cwd: Path, env: dict[str, str]):
        self.argv = argv
        self.started = time.monotonic()
        self.proc = popen(
            argv, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, bufsize=0,
        )
        self.pgid = self.proc.pid  # popen: the child leads its own group
        self._lines: queue.Queue[Line | None] = queue.Queue()
        self._stderr = StderrTail(keep=200)
        self.bad_lines: list[str] = []  # quoted stdout lines that are not JSON objects
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # -- readers (threads) ---------------------------------------------------------------

    def _read_stdout(self) -> None:
        reader = LineReader()
        assert self.proc.stdout is not None
        try:
            for raw in reader.lines(self.proc.stdout.read):
                self._lines.put(_parse(raw))
            if reader.tail:
                self._lines.put(_parse(reader.tail, unterminated=True))
        except LineTooLong as exc:
            self._lines.put(Line(b"", None, f"{exc.message}: {exc.line}"))
        except (OSError, ValueError):
            pass
        finally:
            self._lines.put(None)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        drain_sync(self.proc.stderr.read, self._stderr)

    @property
    def stderr(self) -> list[str]:
        """The plugin's last 200 stderr lines (an over-long line is cut)."""
        return self._stderr.tail(200)

    # -- I/O -----------------------------------------------------------------------------

    def send(self, frame: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(encode(frame))
        except (BrokenPipeError, ValueError):
            raise Eof() from None

    def read(self, deadline: float) -> Line:
        """The next stdout line (bad lines included). Raises Timeout or Eof."""
        remaining = deadline - time.monotonic()
        try:
            item = self._lines.get(timeout=max(0.0, remaining)) if remaining > 0 else self._lines.get_nowait()
        except queue.Empty:
            raise Timeout() from None
        if item is None:
            self._lines.put(None)  # stay at EOF for later readers
            raise Eof()
        if item.frame is None:
            self.bad_lines.append(item.problem)
        return item

    def read_frame(self, deadline: float) -> dict[str, Any]:
        """The next stdout line that is a JSON object; other lines are recorded and skipped."""
        while True:
            line = self.read(deadline)
            if line.frame is not None:
                return line.frame

    def close_stdin(self) -> None:
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()

    def wait_exit(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def drain(self, timeout: float) -> None:
        """Read stdout to EOF (bounded), so lines written while exiting are checked too."""
        deadline = time.monotonic() + timeout
        with contextlib.suppress(Eof, Timeout):
            while True:
                self.read(deadline)

    def settle(self, timeout: float) -> None:
        """After the process exited: let the readers reach EOF (bounded), so its last stderr
        lines (a `ModuleNotFoundError` say) are in `stderr` before anyone quotes them."""
        if self.proc.poll() is None:
            return
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def exit_note(self) -> str:
        code = self.proc.poll()
        return "still running" if code is None else describe_exit(code)

    def stop(self) -> None:
        """Stop the whole process group (also children that moved out of it), join the readers."""
        leftovers = descendants(self.proc.pid) if self.proc.poll() is None else []
        self.close_stdin()
        stop_group_sync(self.pgid, grace=1.0, child_pid=self.proc.pid, extra_pids=leftovers)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        for thread in self._threads:
            thread.join(timeout=2)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _parse(raw: bytes, *, unterminated: bool = False) -> Line:
    try:
        frame = decode(raw)
    except FrameError as exc:
        return Line(raw, None, f"{exc.message}: {exc.line!r}" if exc.line else exc.message)
    if unterminated:
        return Line(raw, None, f"last line has no newline: {quote(raw)!r}")
    return Line(raw, frame)
