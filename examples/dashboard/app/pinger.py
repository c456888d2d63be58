"""Calls the web app every second and logs what it answered (or why it did not)."""

import json
import os
import signal
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import read_web  # noqa: E402

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    web = read_web()
    try:
        url = f"http://127.0.0.1:{web['port']}/"
        with urllib.request.urlopen(url, timeout=2) as response:
            print(f"pinger: {url} -> {json.loads(response.read())}", flush=True)
    except (OSError, TypeError, ValueError) as exc:
        print(f"pinger: web did not answer: {exc}", file=sys.stderr, flush=True)
    time.sleep(1)
