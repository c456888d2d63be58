"""The smoke tests CI runs with `devctl run -- python -m pytest -q tests`.

They find the service through the variables `devctl run` sets (docs/ci.md), never a fixed port.
"""

import json
import os
import urllib.request


def get(path: str) -> str:
    with urllib.request.urlopen(os.environ["DEVCTL_WEB_URL"] + path, timeout=10) as resp:
        return resp.read().decode()


def test_web_is_healthy():
    assert get("/health") == "ok"


def test_web_greets_with_the_configured_greeting():
    config = json.loads(os.environ["DEVCTL_CONFIG"])
    assert get("/") == config["web"]["greeting"]
