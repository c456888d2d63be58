"""Run the real devctl CLI as a subprocess, the way a user does."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def run_cli(
    *args: str,
    cwd: Path | str | None = None,
    timeout: float = 60,
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m devctl ARGS...`; returns the completed process (text stdout/stderr)."""
    full_env = dict(os.environ)
    full_env.setdefault("NO_COLOR", "1")
    full_env["COLUMNS"] = "200"
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "devctl", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input if input is not None else "",
    )


@contextlib.contextmanager
def spawn_cli(*args: str, cwd: Path | str | None = None, env: dict[str, str] | None = None,
              stdin: int | None = subprocess.DEVNULL) -> Iterator[subprocess.Popen[str]]:
    """`python -m devctl ARGS...` in the background, for tests that signal it mid-run.

    Yields the process with text stdout/stderr pipes; on exit it is killed if it still runs,
    so a failed assertion never leaves a devctl behind.
    """
    full_env = dict(os.environ)
    full_env.setdefault("NO_COLOR", "1")
    full_env["COLUMNS"] = "200"
    if env:
        full_env.update(env)
    proc = subprocess.Popen([sys.executable, "-m", "devctl", *args], cwd=cwd, env=full_env, stdin=stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def ok(res: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """Assert a CLI run succeeded, showing its output when it did not."""
    assert res.returncode == 0, f"exit {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    return res


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition",
             every: float = 0.05) -> Any:
    """Poll `predicate` until it returns something truthy (returned), or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def read_reply_line(sock: Any) -> dict[str, Any] | None:
    """The first line a socket answers, decoded as JSON; None when it closed without one.
    (The raw-socket tests of the supervisor's control server read replies with it.)"""
    import json

    buf = b""
    while b"\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    return json.loads(buf.split(b"\n", 1)[0])  # type: ignore[no-any-return]
