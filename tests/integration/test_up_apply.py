"""`devctl up` on a running environment applies only what changed (compose semantics, issue 14).

One environment, edited several times, as a user would: each `up` must recreate exactly the
services whose spec changed and those that depend on them, start new ones, remove dropped
ones, and leave the others' processes alone (same pid). A broken new plan must leave what runs
alone, with or without `--force` (issue 12, item 11).
"""

from __future__ import annotations

import json

import pytest

from devctl.procs.pids import pid_alive
from tests.cli import ok
from tests.integration.test_supervisor_cli import Repo, free_port, open_repo, service


@pytest.fixture
def repo(tmp_path):
    yield from open_repo(tmp_path)


def pids(repo: Repo) -> dict[str, int]:
    return {s["name"]: s["pid"] for s in repo.status()["services"]}


def actions(res) -> dict[str, str]:
    return {c["service"]: c["action"] for c in json.loads(res.stdout)["changes"]}


@pytest.mark.timeout(300)
def test_up_applies_a_changed_plan_service_by_service(repo):
    port = free_port()
    db = service("db", "tcp_listen.py", str(port), health={"type": "tcp", "address": f"127.0.0.1:{port}"})
    api = service("api", "sleeper.py", depends_on=["db"], env={"MODE": "one"})
    worker = service("worker", "sleeper.py")
    old = service("old", "sleeper.py")
    repo.plan(db, api, worker, old)
    ok(repo.cli("up"))
    first = pids(repo)

    # The second plan: api's env changes, old goes, web (needs api) and extra come.
    api2 = {**api, "env": {"MODE": "two"}}
    web = service("web", "sleeper.py", depends_on=["api"])
    extra = service("extra", "sleeper.py")
    repo.plan(db, api2, worker, web, extra)

    res = ok(repo.cli("up", "--dry-run"))
    assert "api  " in res.stdout and "recreated  (env changed)" in res.stdout, res.stdout
    assert "nothing was done" in res.stderr
    assert pids(repo) == first  # a dry run touches nothing

    res = ok(repo.cli("up", "--json"))
    assert actions(res) == {"db": "unchanged", "api": "recreated", "worker": "unchanged",
                            "web": "started", "extra": "started", "old": "removed"}
    assert json.loads(res.stdout)["failed"] is None
    second = pids(repo)
    assert second["db"] == first["db"] and second["worker"] == first["worker"]
    assert second["api"] != first["api"] and not pid_alive(first["api"])
    assert not pid_alive(first["old"])
    snap = repo.status()  # the state file records the new plan, in start order
    assert [s["name"] for s in snap["services"]] == ["db", "api", "worker", "web", "extra"]
    assert {s["state"] for s in snap["services"]} == {"running", "healthy"}
    assert next(s for s in snap["services"] if s["name"] == "api")["env"] == {"MODE": "two"}

    # A dependency changes: it is recreated and so is everything above it; the rest stays.
    db3 = {**db, "command": [*db["command"], "--delay", "0"]}
    repo.plan(db3, api2, worker, web, extra)
    res = ok(repo.cli("up"))
    assert "api     recreated  (depends on db)" in res.stdout, res.stdout
    third = pids(repo)
    assert {n for n in third if third[n] != second[n]} == {"db", "api", "web"}

    # Same plan again: nothing moves, except a service stopped by hand, which `up` starts again.
    ok(repo.cli("stop", "extra"))
    res = ok(repo.cli("up", "--json"))
    acts = actions(res)
    assert acts.pop("extra") == "started" and set(acts.values()) == {"unchanged"}
    assert {"service": "extra", "action": "started", "was": "stopped"} in json.loads(res.stdout)["changes"]
    now = pids(repo)
    assert {n for n in now if now[n] != third[n]} == {"extra"}
    third = now
    res = ok(repo.cli("up"))
    assert "already up to date" in res.stderr and pids(repo) == third

    # `up SERVICE`: only it (and what it needs); api's own change waits for a full `up`.
    worker4 = {**worker, "env": {"N": "4"}}
    api4 = {**api2, "env": {"MODE": "four"}}
    repo.plan(db3, api4, worker4, web, extra)
    res = ok(repo.cli("up", "worker", "--json"))
    assert actions(res)["worker"] == "recreated" and actions(res)["api"] == "unchanged"
    fourth = pids(repo)
    assert {n for n in fourth if fourth[n] != third[n]} == {"worker"}
    res = repo.cli("up", "nope")
    assert res.returncode == 2 and "no such service in the plan: nope" in res.stderr

    # `restart` keeps the running spec and says the plan moved on.
    res = ok(repo.cli("restart", "api"))
    assert "plan changed since up (api: env)" in res.stderr and "`devctl up` applies it" in res.stderr
    assert repo.service("api")["env"] == {"MODE": "two"}
    fifth = pids(repo)

    # A broken plan leaves everything running, without and with --force (a typo in a command,
    # a cwd that does not exist): checked before anything is stopped.
    repo.plan(db3, {**api4, "command": ["no-such-command-xyz"]}, worker4, web, extra)
    res = repo.cli("up")
    assert res.returncode == 1 and "'api'" in res.stderr and "no-such-command-xyz" in res.stderr
    res = repo.cli("up", "--force")
    assert res.returncode == 1 and "no-such-command-xyz" in res.stderr
    repo.plan(db3, api4, {**worker4, "cwd": str(repo.root / "missing")}, web, extra)
    res = repo.cli("up", "--force")
    assert res.returncode == 1 and "missing" in res.stderr and "Traceback" not in res.stderr
    assert pids(repo) == fifth and repo.cli("status").returncode == 0

    # A recreated service that fails is reported; what did not change keeps running.
    repo.plan(db3, service("api", "crash_after.py", "0", depends_on=["db"]), worker4, web, extra)
    res = repo.cli("up")
    assert res.returncode == 1 and "service 'api' failed to start" in res.stderr, res.stderr
    assert "the other services keep running" in res.stderr
    after = pids(repo)
    assert all(after[n] == fifth[n] for n in ("db", "worker", "extra"))
    assert repo.service("api")["state"] == "failed"

    # --force recreates every service.
    repo.plan(db3, api4, worker4, web, extra)
    res = ok(repo.cli("up", "--force"))
    last = pids(repo)
    assert all(last[n] != fifth[n] for n in last)
