"""The by-hand check's example repo (examples/dashboard, what `devctl tui` is tried on): its
programs must stop when asked. Found by hand in tmux: every restart or `down` of `web` took the
whole stop grace and ended in SIGKILL, because its SIGTERM handler called `server.shutdown()`
from inside `serve_forever` (which waits for that very loop to end: a deadlock)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.cli import wait_for

WEB = Path(__file__).resolve().parents[2] / "examples" / "dashboard" / "app" / "web.py"


def test_the_example_web_app_stops_on_sigterm(tmp_path):
    env = {**os.environ, "DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, str(WEB)], env=env, stdout=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        web = wait_for(lambda: (tmp_path / "web.json").is_file() and json.loads(
            (tmp_path / "web.json").read_text()), timeout=30, what="web to say its port")
        assert web["pid"] == proc.pid
        proc.send_signal(signal.SIGTERM)
        # devctl's stop grace is 10 s; a program that handles SIGTERM stops well within it.
        code = wait_for(lambda: proc.poll() is not None and (proc.returncode,), timeout=8,
                        what="web to exit after SIGTERM")
        assert code == (0,)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
