"""Fixture service: forks a child and a grandchild that calls setsid, then listens on PORT.

Usage: tree_listen.py PORT PIDFILE
Like testdata/services/fork_tree.py, but with a TCP port so a health check notices it is ready
within milliseconds (no 0.5 s settle): the up/down cycle test runs many cycles cheaply. Writes
"role pid" lines to PIDFILE so the test can check each one is gone after `down`.
"""

import os
import socket
import sys
import time

port, pidfile = int(sys.argv[1]), sys.argv[2]


def note(role: str) -> None:
    with open(pidfile, "a") as fh:
        fh.write(f"{role} {os.getpid()}\n")


note("main")
if os.fork() == 0:
    note("child")
    if os.fork() == 0:
        os.setsid()  # leaves the service's group and session: only descendant tracking finds it
        note("grandchild")
        while True:
            time.sleep(3600)
    while True:
        time.sleep(3600)
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", port))
sock.listen(16)
while True:
    conn, _ = sock.accept()
    conn.close()
