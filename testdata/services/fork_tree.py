"""Fixture service: forks a child and a grandchild; the grandchild calls setsid (leaves the group).

Usage: fork_tree.py PIDFILE
Writes "role pid" lines to PIDFILE so tests can check every one of them is gone after a stop.
"""

import os
import sys
import time

pidfile = sys.argv[1]


def note(role):
    with open(pidfile, "a") as fh:
        fh.write(f"{role} {os.getpid()}\n")


note("main")
if os.fork() == 0:
    note("child")
    if os.fork() == 0:
        os.setsid()  # escapes the service's process group: only descendant tracking finds it
        note("grandchild")
        while True:
            time.sleep(3600)
    while True:
        time.sleep(3600)
print("forked", flush=True)
while True:
    time.sleep(3600)
