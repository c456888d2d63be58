#!/usr/bin/env python3
"""The floor of a plugin command for any Python host: blocking pipes, no devctl, no event loop.

    python bench/plugin_floor.py PLUGIN [ARGS...]

Does at the protocol level what `devctl echo-args` does: starts the plugin, reads its handshake,
asks `config.mutate`, then `command.run` for `echo-args`, prints the command's stdout, closes
the plugin's stdin and waits for it. Only json and subprocess are imported. `bench_plugin_commands.py`
times it next to `devctl echo-args` and the plugin run by hand, so the overhead devctl's own
host adds is (devctl − floor), and what any Python host pays is (floor − by hand): one more
interpreter start and the round trips. Not a host: no validation, no timeouts, no stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys


def request(proc: subprocess.Popen[bytes], rid: str, op: str,
            payload: dict[str, object]) -> dict[str, object]:
    frame = {"type": "request", "request_id": rid, "op": op,
             "ctx": {"repo_root": "", "cwd": "", "deadline_ms": 30000, "dry_run": False}, "input": payload}
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write((json.dumps(frame) + "\n").encode())
    proc.stdin.flush()
    answer: dict[str, object] = json.loads(proc.stdout.readline())
    return answer


def main() -> int:
    proc = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdin is not None
    json.loads(proc.stdout.readline())  # the handshake
    request(proc, "1", "config.mutate", {"config": {}})
    answer = request(proc, "2", "command.run", {"name": "echo-args", "argv": [], "config": {}})
    output = answer.get("output")
    sys.stdout.write(str(output.get("stdout", "")) if isinstance(output, dict) else "")
    proc.stdin.close()
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
