"""`logs:` (timestamps, size rotation) and `watch:` with a real supervisor and real services.

One environment per test, checking several things of it (the suite runs on 2 cores).
"""

from __future__ import annotations

import os
import re
import signal

from devctl.supervisor.logfiles import TS_WIDTH, generation, line_time
from tests.cli import ok, wait_for
from tests.integration.test_supervisor_cli import open_repo, service

LIMIT = 8192
KEEP = 3
N = 3000


def _lines(path) -> list[str]:
    return path.read_text().splitlines()


def test_timestamps_and_rotation_keep_every_line_and_interleave_by_time(tmp_path):
    repo = next(gen := open_repo(tmp_path))
    try:
        repo.plan(
            service("chatty", "numbered_lines.py", str(N),
                    logs={"timestamps": True, "max_size": "8KiB", "keep": KEEP}),
            service("quiet", "numbered_lines.py", "200", logs={"timestamps": True}),
            # rotation alone (no stamps); the second half is written after the supervisor died
            service("gated", "gated_lines.py", str(N), str(tmp_path / "gate"),
                    logs={"max_size": 8192, "keep": 100}),
        )
        ok(repo.cli("up"))
        log = repo.log("chatty")
        wait_for(lambda: log.exists() and _lines(log) and _lines(log)[-1].endswith(f"line {N}"),
                 what="the last line of chatty")
        wait_for(lambda: _lines(repo.log("quiet")) and _lines(repo.log("quiet"))[-1].endswith("line 200"),
                 what="the last line of quiet")

        # Rotation: `keep` old files and the current one, none past 2 x max_size, each ending a line.
        files = [generation(log, n) for n in range(KEEP, -1, -1)]
        assert all(f.exists() for f in files) and not generation(log, KEEP + 1).exists()
        bodies = [f.read_bytes() for f in files]
        assert all(len(b) <= 2 * LIMIT and b.endswith(b"\n") for b in bodies)
        # No line lost across the rotations: the kept lines are consecutive up to N, all stamped.
        kept = [line for b in bodies for line in b.decode().splitlines()]
        assert all(line_time(line) for line in kept)
        numbers = [int(line[TS_WIDTH:].split()[1]) for line in kept]
        assert numbers == list(range(numbers[0], N + 1)) and numbers[0] > 1
        assert _lines(repo.log("chatty", "stderr"))[-1].endswith(f"wrote {N} lines")  # stderr stamped too

        # `logs` without -f: every shown line is stamped, so both services come interleaved by time.
        res = repo.cli("logs", "chatty", "quiet", "-n", "100000")
        ok(res)
        shown = [re.match(r"(\w+)\s+\| (.*)", line).groups() for line in res.stdout.splitlines()]
        stamps = [line_time(text) for _name, text in shown]
        assert all(stamps) and stamps == sorted(stamps)
        names = [name for name, _text in shown]
        assert {"chatty", "quiet"} <= set(names)
        assert len(shown) == len(kept) + 200 + 2  # + each service's one stderr line
        # -n counts from the end across the generations.
        res = repo.cli("logs", "chatty", "--stdout", "-n", "3")
        last = [line[TS_WIDTH:] for line in res.stdout.splitlines()]
        assert last == [f"line {i}" for i in range(N - 2, N + 1)]
        res = repo.cli("logs", "-n", "5")  # with an unstamped service: one service after the other
        assert [line.split("|")[0].strip() for line in res.stdout.splitlines()] == (
            ["chatty"] * 6 + ["quiet"] * 6 + ["gated"] * 5)

        # The supervisor is SIGKILLed: the log writer is not, and drops no line.
        gated = repo.log("gated")
        wait_for(lambda: gated.exists() and _lines(gated) and _lines(gated)[-1] == f"line {N}",
                 what="the first half of gated")
        os.kill(repo.status()["supervisor"]["pid"], signal.SIGKILL)
        wait_for(lambda: not repo.status()["supervisor"]["running"], what="the supervisor to be gone")
        (tmp_path / "gate").write_text("")
        wait_for(lambda: _lines(gated) and _lines(gated)[-1] == f"line {2 * N}", what="the second half")
        files = [generation(gated, n) for n in range(100, -1, -1) if generation(gated, n).exists()]
        assert len(files) > 3 and all(len(f.read_bytes()) <= 2 * LIMIT for f in files)
        assert [line for f in files for line in _lines(f)] == [f"line {i}" for i in range(1, 2 * N + 1)]
    finally:
        next(gen, None)  # down


def test_a_burst_of_changes_restarts_a_watched_service_once(tmp_path):
    (tmp_path / "src").mkdir()
    repo = next(gen := open_repo(tmp_path))
    try:
        repo.plan(
            service("worker", "sleeper.py",
                    watch={"paths": ["src"], "ignore": ["*.tmp"], "debounce_ms": 300}),
            service("other", "sleeper.py"),
        )
        ok(repo.cli("up"))
        first = repo.service("worker")["pid"]
        other = repo.service("other")["pid"]

        def restarts() -> list[dict]:
            return [e for e in repo.events() if e["event"] == "watch_restart"]

        def running_again(old: int):
            rec = repo.service("worker")
            return rec if rec["state"] == "running" and rec["pid"] not in (None, old) else None

        for i in range(30):  # one burst: 30 writes in a few milliseconds
            (tmp_path / "src" / f"a{i % 5}.py").write_text(f"v{i}\n")
        second = wait_for(lambda: running_again(first), what="worker restarted by the watch")["pid"]
        assert len(restarts()) == 1 and restarts()[0]["service"] == "worker"
        assert restarts()[0]["changes"] >= 1 and all(p.startswith("src/a") for p in restarts()[0]["paths"])

        (tmp_path / "src" / "scratch.tmp").write_text("ignored\n")
        (tmp_path / ".devctl" / "logs" / "note.txt").write_text("ignored\n")
        for i in range(10):
            (tmp_path / "src" / f"b{i}.py").write_text("x\n")
        wait_for(lambda: running_again(second), what="worker restarted by the second burst")
        # Had the first burst (or the ignored files) restarted it twice, this event would name them.
        events = restarts()
        assert len(events) == 2 and all(p.startswith("src/b") for p in events[1]["paths"])
        assert repo.service("other")["pid"] == other  # only the watched service restarts
        exits = [e for e in repo.events() if e["event"] == "exited" and e["service"] == "worker"]
        assert len(exits) == 2 and all(e.get("stop_requested") for e in exits)

        # `up` applies a changed plan: the watch moves from worker to other. The watchers follow
        # the new plan (worker's stops, other's starts) without a supervisor restart.
        repo.plan(service("worker", "sleeper.py"),
                  service("other", "sleeper.py", watch={"paths": ["src"], "debounce_ms": 300}))
        ok(repo.cli("up"))
        worker, other = repo.service("worker")["pid"], repo.service("other")["pid"]
        for i in range(5):
            (tmp_path / "src" / f"c{i}.py").write_text("x\n")
        wait_for(lambda: len(restarts()) == 3, what="other restarted by the watch it gained")
        assert restarts()[2]["service"] == "other"
        wait_for(lambda: repo.service("other")["state"] == "running"
                 and repo.service("other")["pid"] != other, what="other running again")
        assert repo.service("worker")["pid"] == worker  # its watch is gone with its spec
    finally:
        next(gen, None)  # down


def test_up_reports_the_last_stamped_lines_of_a_service_that_fails(tmp_path):
    repo = next(gen := open_repo(tmp_path))
    try:
        repo.plan(service("bad", "crash_after.py", "0", "4",
                          logs={"timestamps": True, "max_size": "4KiB"}))
        res = repo.cli("up")
        assert res.returncode == 1
        assert "service 'bad' failed to start" in res.stderr
        lines = [line.strip() for line in res.stderr.splitlines()]
        # The path is shown relative to the current directory when it is below it, else whole.
        header = next(i for i, line in enumerate(lines) if line.startswith("last 1 lines of ")
                      and line.endswith(".devctl/logs/bad.stderr.log:"))
        shown = lines[header + 1]
        assert line_time(shown) and shown.endswith("crashing with code 4")  # written by the log writer
    finally:
        next(gen, None)
