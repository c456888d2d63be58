"""SIGKILL a state writer mid-write many times: state.json always parses, old or new; and the
temp file a cut write leaves behind is removed by `down`."""

from __future__ import annotations

import json
import random
import subprocess
import sys

from tests.cli import ok
from tests.reliability.harness import Repo, driver


def test_state_file_survives_sigkill_mid_write(tmp_path, budget):
    seed = random.randrange(1_000_000)
    res = subprocess.run([sys.executable, driver("state_kill.py"), str(tmp_path), str(budget.state_kills),
                          str(seed)], capture_output=True, text=True, timeout=60 + budget.state_kills / 10)
    print(f"\nseed {seed}: {res.stdout.strip()[-300:]}")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = json.loads(res.stdout)
    assert report["kills"] == budget.state_kills and report["problems"] == []
    # The kills must really have landed inside writes, or the test proves nothing.
    assert report["mid_write"] >= budget.state_kills // 50


def test_down_removes_temp_files_of_a_cut_write(tmp_path):
    repo = Repo(tmp_path)
    (repo.state_dir).mkdir(mode=0o700)
    (repo.state_dir / ".state.abc123.tmp").write_text('{"version": 1, "servi')
    ok(repo.cli("down"))
    assert list(repo.state_dir.glob(".state.*")) == []
