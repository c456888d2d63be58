"""Fixture service whose child forks and exits every few milliseconds: a moving target.

Usage: fork_chain.py PIDFILE [PERIOD_MS]
The main process stays. Its child leaves the service's process group (setpgid(0, 0)) and then,
forever: sleep PERIOD_MS (default 3), fork, exit. So at any moment one process of the chain
lives, under a pid that changes every few ms, in a group whose leader is long gone. PIDFILE
gets "<main pid> <chain pgid>". Everything ignores SIGTERM.
"""

import os
import signal
import sys
import time

pidfile = sys.argv[1]
period = (int(sys.argv[2]) if len(sys.argv) > 2 else 3) / 1000
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    os.setpgid(0, 0)
    with open(pidfile + ".tmp", "w") as fh:
        fh.write(f"{os.getppid()} {os.getpgid(0)}\n")
    os.rename(pidfile + ".tmp", pidfile)
    while True:
        time.sleep(period)
        if os.fork() != 0:
            os._exit(0)
print("chain started", flush=True)
while True:
    time.sleep(3600)
