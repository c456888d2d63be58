"""Fixture exec health probe: exit 0 when the service said it is ready.

Usage: health_probe.py
Ready means: the file `ready` exists in the current directory and PROBE_TOKEN is set — so a
pass also proves the probe ran in the service's cwd and environment. While a file `hang`
exists, the probe hangs instead: it starts a helper in its own process group, appends
"<probe pid> <helper pid>" to `probe.pids`, and sleeps (a probe past its deadline, which the
supervisor must kill with its whole group).
"""

import os
import subprocess
import sys
import time

if os.path.exists("hang"):
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    with open("probe.pids", "a") as fh:
        fh.write(f"{os.getpid()} {helper.pid}\n")
    time.sleep(120)
if not os.environ.get("PROBE_TOKEN"):
    print("PROBE_TOKEN is not set: not the service's environment", flush=True)
    sys.exit(3)
if not os.path.exists("ready"):
    print("not ready yet", flush=True)
    sys.exit(1)
sys.exit(0)
