"""Answers polls, but ignores shutdown, EOF and SIGTERM; also leaves a child in its group.

Only a SIGKILL to the process group ends it, which is what the host must do after 2 s.
"""
import json
import signal
import subprocess
import sys
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
for line in sys.stdin:
    if json.loads(line).get("type") == "shutdown":
        continue
    print(json.dumps({"manifest": {"name": "stubborn"}, "metrics": []}), flush=True)
while True:
    time.sleep(1)
