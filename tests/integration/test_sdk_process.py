"""devctl.sdk in a real plugin process: nothing a handler or its children print reaches the protocol."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def request(rid: str, op: str) -> dict:
    return {"type": "request", "request_id": rid, "op": op, "input": {}, "ctx": {}}



def test_real_process_stdout_is_clean_even_for_subprocesses(tmp_path):
    """fd 1 itself is moved to stderr: a child process's output cannot corrupt the protocol."""
    script = tmp_path / "plug.py"
    script.write_text(textwrap.dedent("""
        import os, subprocess, sys
        from devctl.sdk import Plugin
        plugin = Plugin("fd")

        @plugin.op("launch.plan")
        def plan(req):
            print("python print")
            os.write(1, b"raw fd write\\n")
            subprocess.run([sys.executable, "-c", "print('child print')"], check=True)
            return {"services": []}

        plugin.run()
    """))
    line = json.dumps(request("r1", "launch.plan")) + "\n"
    proc = subprocess.run([sys.executable, str(script)], input=line, capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 0, proc.stderr
    frames = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [f["type"] for f in frames] == ["handshake", "response"]
    for text in ("python print", "raw fd write", "child print"):
        assert text in proc.stderr
