"""`procs.bounded.run_bounded` with real children: timeout, stdout flood, leftovers, stdin."""

from __future__ import annotations

import os
import sys

from devctl.procs.bounded import run_bounded

PY = sys.executable


def run(code: str, **kw):
    kw.setdefault("timeout", 10.0)
    kw.setdefault("stdout_cap", 1024)
    kw.setdefault("stderr_cap", 16)
    return run_bounded([PY, "-c", code], env=os.environ, cwd=None, grace=0.5, **kw)


def test_a_normal_exit_keeps_output_and_code() -> None:
    res = run("import sys; d = sys.stdin.read(); print(d); sys.stderr.write('x' * 40 + 'tail'); sys.exit(3)",
              stdin=b"payload")
    assert res.returncode == 3 and res.stdout == b"payload\n"
    assert res.stderr.endswith(b"tail") and len(res.stderr) == 16 and res.stderr_truncated
    assert not res.timed_out and res.leftovers == 0


def test_a_timeout_stops_the_tree() -> None:
    res = run("import time; time.sleep(30)", timeout=0.3)
    assert res.timed_out and res.returncode is None and res.duration_s < 5


def test_a_stdout_flood_stops_the_child_only_when_asked() -> None:
    flood = "import sys\nfor _ in range(200): sys.stdout.write('y' * 1024)\nsys.stdout.flush()"
    stopped = run("import time\n" + flood + "\ntime.sleep(30)", stop_on_overflow=True)
    assert stopped.stdout_overflow and stopped.returncode is None and len(stopped.stdout) == 1024
    kept = run(flood)
    assert kept.stdout_overflow and kept.returncode == 0 and len(kept.stdout) == 1024


def test_members_left_in_the_group_are_stopped_and_counted() -> None:
    res = run("import subprocess, sys\n"
              "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'],"
              " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)")
    assert res.returncode == 0 and res.leftovers == 1
