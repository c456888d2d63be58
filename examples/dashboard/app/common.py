"""What the example's programs share: where the web app says which port it took."""

import json
import os

#: The example's `.data/` (git-ignored), wherever the program runs from.
EXAMPLE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.environ.get("DATA_DIR") or os.path.join(EXAMPLE, ".data")
WEB_FILE = os.path.join(DATA_DIR, "web.json")


def write_web(port, pid):
    os.makedirs(DATA_DIR, exist_ok=True)
    tmp = WEB_FILE + ".tmp"
    with open(tmp, "w") as fh:
        json.dump({"port": port, "pid": pid}, fh)
    os.replace(tmp, WEB_FILE)


def read_web():
    """{"port": ..., "pid": ...} of the running web app, or None before it started."""
    try:
        with open(WEB_FILE) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None
