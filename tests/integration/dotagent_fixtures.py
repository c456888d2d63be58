"""Helpers for the dotagent integration tests: install fixture plugins under a chosen name."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "testdata" / "dotagent"
EXAMPLES = ROOT / "examples" / "dotagent-plugins"


def install(directory: Path, name: str, fixture: str) -> Path:
    """`directory/dotagent-plugin-<name>`: execs the test's Python on testdata/dotagent/<fixture>.py."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"dotagent-plugin-{name}"
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FIXTURES / (fixture + ".py")}" "$@"\n')
    path.chmod(0o755)
    return path


def install_versioned(directory: Path, name: str, version: str) -> Path:
    """A plugin whose `info` says which copy it is (for discovery-order tests)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"dotagent-plugin-{name}"
    info = json.dumps({"name": name, "version": version, "kinds": ["notify"], "schema": {"type": "object"}})
    path.write_text(f"#!/bin/sh\necho '{info}'\n")
    path.chmod(0o755)
    return path


def pids_alive(pids: list[int]) -> list[int]:
    import psutil

    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.Error:
            continue
    return alive


def env_with(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env
