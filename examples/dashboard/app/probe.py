"""The web app's health check: exit 0 when GET /health answers 200, else 1 with the reason."""

import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import read_web  # noqa: E402

web = read_web()
if web is None:
    sys.exit("web has not said its port yet")
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{web['port']}/health", timeout=1) as response:
        sys.exit(0 if response.status == 200 else f"/health answered {response.status}")
except OSError as exc:
    sys.exit(f"/health: {exc}")
