"""Fixture service that tries to escape its process group. Writes "role pid" lines to PIDFILE.

Usage: escape.py MODE PIDFILE
  pgrp       a child calls setpgid(0, 0): a new group, same session; the main process stays.
  setsid     a child double-forks; the grandchild calls setsid; the main process stays.
  daemonize  the classic daemon: fork, setsid, fork again, and every parent exits, so only a
             re-parented grandchild in its own session is left.
Children ignore SIGTERM, so only SIGKILL (or a stop that reaches them) ends them.
"""

import os
import signal
import sys
import time

mode, pidfile = sys.argv[1], sys.argv[2]


def note(role: str) -> None:
    with open(pidfile, "a") as fh:
        fh.write(f"{role} {os.getpid()}\n")


def linger() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(3600)


note("main")
if mode == "pgrp":
    if os.fork() == 0:
        os.setpgid(0, 0)
        note("escaped")
        linger()
elif mode in ("setsid", "daemonize"):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            note("escaped")
            linger()
        os._exit(0)  # the middle process exits: the grandchild is re-parented
    if mode == "daemonize":
        os.wait()
        print("daemonized", flush=True)
        sys.exit(0)
else:
    sys.exit(f"unknown mode {mode}")
print(f"{mode}: child escaped", flush=True)
while True:
    time.sleep(3600)
