"""Find and end processes that carry a test's tag in their environment (see conftest)."""

from __future__ import annotations

import contextlib
import os
import signal
import time

import psutil


def find_tagged(tag: str, wait: float = 0.0) -> list[str]:
    """Live processes (not zombies, not us) whose environment has DEVCTL_TEST_TAG=tag.

    Waits up to `wait` seconds for them to go, since a process that was just signalled
    may need a moment to exit.
    """
    deadline = time.monotonic() + wait
    while True:
        found = _scan(tag)
        if not found or time.monotonic() >= deadline:
            return [f"{p.pid} {' '.join(_cmdline(p))[:120]}" for p in found]
        time.sleep(0.05)


def kill_tagged(tag: str) -> None:
    for proc in _scan(tag):
        with contextlib.suppress(psutil.Error):
            proc.send_signal(signal.SIGKILL)


def _scan(tag: str) -> list[psutil.Process]:
    me = os.getpid()
    found = []
    for proc in psutil.process_iter(["pid", "status"]):
        if proc.pid == me or proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        try:
            if proc.environ().get("DEVCTL_TEST_TAG") == tag:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def _cmdline(proc: psutil.Process) -> list[str]:
    try:
        return proc.cmdline()
    except psutil.Error:
        return ["?"]
