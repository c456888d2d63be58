"""Fixture service that starts a daemon with no trace of devctl: `env -i setsid -f`.

Usage: unmarked_daemon.py PIDFILE
The daemon drops the whole environment (DEVCTL_RUN, DEVCTL_SERVICE, the test tag), starts a new
session, and its parent `setsid` exits at once, so it is re-parented to the nearest subreaper:
the supervisor. It writes its pid to PIDFILE and ignores SIGTERM. The service itself stays up.
"""

import subprocess
import sys
import time

pidfile = sys.argv[1]
daemon = ("import os, signal, time\n"
          "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
          f"open({pidfile!r} + '.tmp', 'w').write(str(os.getpid()))\n"
          f"os.rename({pidfile!r} + '.tmp', {pidfile!r})\n"
          "while True: time.sleep(3600)\n")
subprocess.run(["env", "-i", "setsid", "-f", sys.executable, "-c", daemon], check=True)
print("daemon started", flush=True)
while True:
    time.sleep(3600)
