"""Progress without a terminal (issue 15): what a CI log shows while the pipeline runs, what
`build`/`prepare` say about each step, and `up --progress json` for tools that wrap devctl.

The plugin is testdata/plugins/pipe_steps.py; `up` uses the sup_plan fixture with one service.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli import ok, run_cli, spawn_cli, wait_for
from tests.integration.test_pipeline_cli import entry, make_repo
from tests.integration.test_supervisor_cli import open_repo, service

CI = {"CI": "true"}


def test_a_build_in_ci_says_what_runs_while_it_runs(tmp_path):
    """Regression: piped, `build` printed nothing until the whole build was over."""
    gate = tmp_path / "gate"
    make_repo(tmp_path, entry("steps", "pipe_steps.py", str(gate)))
    with spawn_cli("build", cwd=tmp_path, env=CI) as proc:
        assert proc.stderr is not None
        seen: list[str] = []

        def started() -> bool:
            seen.append(proc.stderr.readline())
            return "build.run: plugin steps started" in seen[-1]

        wait_for(started, timeout=30, what="the build's start line while the step still runs")
        assert proc.poll() is None  # the step is still blocked on the gate: the line came first
        gate.write_text("go")
        out, rest = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest
    lines = [line.strip() for line in [*seen, *rest.splitlines()] if line.strip()]
    assert not any(line.startswith("config.mutate") for line in lines)  # no plugin declares it: no noise
    assert "build.run: started" in lines
    assert "build.run: plugin steps: step compile ok in 1.23 s: compiled 12 files" in lines
    assert any(line.startswith("build.run: plugin steps answered in ") for line in lines)
    assert any(line.startswith("build.run: done in ") for line in lines)
    assert "compiled 12 files" in out and "ok" in out  # the step table on stdout keeps the message


def test_prepare_says_which_steps_were_skipped_and_json_keeps_it(tmp_path):
    make_repo(tmp_path, entry("steps", "pipe_steps.py"))
    res = run_cli("prepare", cwd=tmp_path, env=CI)
    ok(res)
    assert "prepare.run: plugin steps: step initdb skipped: data directory already initialised" in res.stderr
    assert "prepare.run: plugin steps: step seed ok in 0.01 s" in res.stderr
    initdb = next(line for line in res.stdout.splitlines() if "initdb" in line)
    assert "skipped" in initdb.split() and "data directory already initialised" in initdb
    seed = next(line for line in res.stdout.splitlines() if "seed" in line)
    assert "ok" in seed.split() and "skipped" not in seed
    res = run_cli("prepare", "--json", cwd=tmp_path)
    ok(res)
    steps = {s["name"]: s for s in json.loads(res.stdout)["steps"]}
    assert steps["initdb"]["skipped"] is True
    assert steps["initdb"]["message"] == "data directory already initialised"


def test_up_progress_json_is_one_event_per_line(tmp_path):
    """Also (one environment for both): the supervisor names itself and its repo in `ps`."""
    for repo in open_repo(tmp_path):
        repo.plan(service("web", "sleeper.py"))
        res = repo.cli("up", "--progress", "json")
        ok(res)
        # Regression: the supervisor showed in ps as `…/devctl up`, like a hung `up`.
        pid = repo.status()["supervisor"]["pid"]
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        assert cmdline == f"devctl supervisor {repo.root.resolve()}"
        assert Path(f"/proc/{pid}/comm").read_text().strip() == "devctl-supervis"  # the kernel's 15 bytes
        events = [json.loads(line) for line in res.stdout.splitlines()]  # every line is JSON
        kinds = [e["event"] for e in events]
        assert kinds[0] == "phase_start" and kinds[-1] == "ready"
        phases = [e["phase"] for e in events if e["event"] == "phase_end"]
        assert phases == ["validate.run", "launch.plan"]  # the phases sup_plan declares, in order
        ends = [e for e in events if e["event"] == "phase_end"]
        assert all(e["ok"] is True and isinstance(e["duration_ms"], int) for e in ends)
        web = [e for e in events if e["event"] == "service" and e["service"] == "web"]
        assert web and web[-1]["state"] in ("running", "healthy") and "ready_at" in web[-1]
        assert events[-1]["services"] == ["web"] and all("elapsed_ms" in e for e in events)
        # CI=true without --progress: the same story as plain lines on stderr, stdout stays empty.
        ok(repo.cli("down"))
        res = run_cli("-C", str(repo.root), "up", env=CI)
        ok(res)
        assert res.stdout == ""
        assert "launch.plan: plugin sup started" in res.stderr
        assert any(line.startswith("web") and "starting → running in" in line
                   for line in res.stderr.splitlines())
        res = repo.cli("up", "--progress", "yaml")
        assert res.returncode == 2 and "'yaml': expected one of auto, live, plain, json" in res.stderr
