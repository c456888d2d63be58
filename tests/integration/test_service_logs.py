"""`logs:` (timestamps, size rotation) and `watch:` with a real supervisor and real services.

One environment per test, checking several things of it (the suite runs on 2 cores).
"""

from __future__ import annotations

import re

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
        res = repo.cli("logs", "-n", "100000")
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
    finally:
        next(gen, None)  # down
