"""The supervisor `up` forks before its pipeline (devctl/supervisor/early.py) leaves nothing
behind when no supervisor is started after all, and writes nothing before it has the plan.

The plugin of these repos reads plan.json on every request; made a FIFO, it blocks there until
the test writes the plan, which holds `up` inside its pipeline for as long as the test needs.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

import psutil
import pytest

from devctl.supervisor import daemon, early
from tests.cli import ok, spawn_cli, wait_for
from tests.integration.test_supervisor_cli import Repo, open_repo, service
from tests.orphans import find_tagged


def early_supervisors(cli_pid: int) -> list[psutil.Process]:
    """Live processes of this test that run the CLI's command line but are not the CLI: the
    supervisor it forked early (a copy of the CLI until it has the plan and names itself)."""
    tag = os.environ["DEVCTL_TEST_TAG"]
    cli = psutil.Process(cli_pid)
    found = []
    for proc in psutil.process_iter(["pid", "status"]):
        if proc.pid == cli_pid or proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        try:
            if proc.environ().get("DEVCTL_TEST_TAG") == tag and proc.cmdline() == cli.cmdline():
                found.append(proc)
        except psutil.Error:
            continue
    return found


def feed_fifo(path: Path, text: str) -> threading.Thread:
    """Write `text` to the FIFO once the plugin opens it, from a thread (open blocks until then)."""
    def write() -> None:
        with path.open("w") as fh:
            fh.write(text)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_cli_killed_in_its_pipeline_leaves_no_early_supervisor(tmp_path: Path) -> None:
    gen = open_repo(tmp_path)
    repo: Repo = next(gen)
    plan = json.dumps({"services": [service("web", "sleeper.py")]})
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    with spawn_cli("-C", str(repo.root), "up") as cli:
        # `up` waits in its pipeline (the plugin blocks on the FIFO); the early supervisor waits
        # for the plan, detached from the CLI (a session of its own).
        child = wait_for(lambda: early_supervisors(cli.pid), what="the early supervisor")[0]
        assert os.getsid(child.pid) != os.getsid(cli.pid)
        assert not (repo.root / ".devctl" / "supervisor.log").exists()  # nothing written yet
        assert not (repo.root / ".devctl" / "supervisor.lock").exists()
        os.kill(cli.pid, signal.SIGKILL)
        cli.wait(timeout=10)
        writer = feed_fifo(fifo, plan)  # unblocks the plugin, which then finds its stdin closed
        # The CLI's end of the plan pipe closed with it: the early supervisor exits unused.
        wait_for(lambda: not child.is_running() or child.status() == psutil.STATUS_ZOMBIE,
                 what="the early supervisor gone")
        # The writer is done before the FIFO goes: on a busy box its thread could otherwise run
        # only after the FIFO was replaced by a plain plan.json below, and a plugin already
        # waiting in open() on the FIFO would wait forever. Opening it here ourselves lets the
        # writer through even when the plugin never asked (the CLI was killed before it did).
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        try:
            writer.join(timeout=30)
            assert not writer.is_alive(), "the plan written to the FIFO"
        finally:
            os.close(reader)
    assert not (repo.root / ".devctl" / "state.json").exists()
    assert not (repo.root / ".devctl" / "supervisor.log").exists()
    os.unlink(fifo)
    repo.plan()  # an empty plan for the fixture's final `down`
    for _ in gen:
        pass


def test_up_with_a_config_it_cannot_read_takes_its_early_supervisor_with_it(tmp_path: Path) -> None:
    """The early supervisor is forked before `.devctl.yaml` is read (docs/performance.md, "U2"):
    a config that does not parse still gets its one error naming the file and line, and `up`
    exits with nothing left running and nothing written."""
    gen = open_repo(tmp_path)
    repo: Repo = next(gen)
    good = (repo.root / ".devctl.yaml").read_text()
    (repo.root / ".devctl.yaml").write_text("plugins:\n  - id: plan\n    path: [unclosed\n")
    res = repo.cli("up")
    assert res.returncode != 0
    assert ".devctl.yaml:4: invalid YAML" in res.stderr, res.stderr  # (where the list should have ended)
    assert find_tagged(os.environ["DEVCTL_TEST_TAG"]) == []  # no wait: gone already
    assert not (repo.root / ".devctl" / "supervisor.log").exists()
    assert not (repo.root / ".devctl" / "state.json").exists()
    (repo.root / ".devctl.yaml").write_text(good)
    for _ in gen:
        pass


def test_up_that_starts_nothing_takes_its_early_supervisor_with_it(tmp_path: Path) -> None:
    """A failed validation, and a plan without services: `up` exits with nothing of it left
    running at that very moment (it kills the early supervisor and waits until it is gone),
    and the early supervisor wrote nothing; a later `up` of the same repo starts normally."""
    gen = open_repo(tmp_path)
    repo: Repo = next(gen)
    repo.plan(service("web", "sleeper.py"), validate_errors=[{"code": "E_BAD", "message": "no"}])
    res = repo.cli("up")
    assert res.returncode == 1 and "validation failed" in res.stderr
    assert find_tagged(os.environ["DEVCTL_TEST_TAG"]) == []  # no wait: gone already
    repo.plan()
    ok(repo.cli("up"))
    assert find_tagged(os.environ["DEVCTL_TEST_TAG"]) == []
    assert not (repo.root / ".devctl" / "supervisor.log").exists()

    repo.plan(service("web", "sleeper.py"))
    ok(repo.cli("up"))
    status = repo.status()
    assert status["supervisor"]["running"] and repo.service("web")["state"] == "running"
    assert psutil.Process(status["supervisor"]["pid"]).ppid() != os.getpid()
    for _ in gen:  # the fixture's `down`
        pass


def _fake_run_daemon(record: Path):
    """A `run_daemon` for the forked side: note the plan it got, say "ok PID", exit."""
    def run_daemon(paths: object, services: list, notifiers: list, ready_fd: int,
                   other_holders: object = None) -> int:
        record.write_text(json.dumps([s["name"] for s in services]))
        os.write(ready_fd, f"ok {os.getpid()}\n".encode())
        return 0

    return run_daemon


def test_the_plan_goes_to_the_early_supervisor_or_to_a_fresh_one_if_it_died(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # In-process, like `up` after its pipeline; pytest's own threads are no concern for a child
    # that only imports what this process has loaded already, and a fake `run_daemon`.
    monkeypatch.setattr(early, "can_fork_now", lambda: True)
    record = tmp_path / "got.json"
    monkeypatch.setattr(daemon, "run_daemon", _fake_run_daemon(record))
    gone = lambda pid: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE  # noqa: E731

    sup = early.fork_early(tmp_path)
    assert sup is not None
    pid = daemon.launch([{"name": "web"}], tmp_path, [], early=sup)  # type: ignore[list-item]
    assert pid == sup.pid and json.loads(record.read_text()) == ["web"]
    wait_for(lambda: gone(pid), what="the early supervisor's exit")

    sup = early.fork_early(tmp_path)
    assert sup is not None
    first = sup._child_pid()
    assert first is not None
    os.kill(first, signal.SIGKILL)
    # Gone means its descriptors are closed, which the end of its ready pipe says: its leader
    # shows as a zombie while its other thread (the lock look) may still hold them.
    assert early._at_eof(sup.ready_fd, 30), "the early supervisor killed"
    pid = daemon.launch([{"name": "api"}], tmp_path, [], early=sup)  # type: ignore[list-item]
    assert pid != first and json.loads(record.read_text()) == ["api"]  # a fresh fork got it
    wait_for(lambda: gone(pid), what="the fresh supervisor's exit")


def test_a_gone_early_supervisor_is_known_by_its_ready_pipe_even_while_its_plan_pipe_is_open(
        tmp_path: Path) -> None:
    # A dead process's descriptors are released one by one: for a moment its plan pipe may
    # still have a reader after its ready pipe reached its end. The plan must not go there.
    plan_r, plan_w = os.pipe()
    ready_r, ready_w = os.pipe()
    os.close(ready_w)  # the child is gone; this test still holds the plan pipe's read end
    sup = early.EarlySupervisor(early.Paths(tmp_path), 0, plan_w, ready_r)
    sup.pid = 4242  # what the middle process said (already read)
    try:
        assert sup.hand_over([{"name": "web"}], []) is False
        assert sup.ready_fd == -1 and sup._plan_fd == -1  # both closed: `launch` forks afresh
        assert os.read(plan_r, 4096) == b""  # end of file, no plan in it
    finally:
        os.close(plan_r)
