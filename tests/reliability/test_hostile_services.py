"""Services that fight the supervisor: close their output, hit a file-size limit on their log,
leave their process group, double-fork and setsid, daemonize and exit.

What devctl can clean up, and how (docs/reliability.md has the table): everything in this
file. A process that left the group is found as a descendant (recorded while the service runs,
and again right before a stop) or, once re-parented to the supervisor (a child subreaper), by
the DEVCTL_SERVICE it inherited; after a SIGKILLed supervisor, by DEVCTL_RUN.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tests.cli import ok, wait_for
from tests.reliability.harness import Repo, alive, rel, svc


@pytest.fixture
def repo(tmp_path):
    r = Repo(tmp_path)
    yield r
    r.cli("down", "--timeout", "1")


def pids(pidfile: Path, n: int) -> dict[str, int]:
    lines = wait_for(lambda: pidfile.exists() and len(lines := pidfile.read_text().splitlines()) >= n
                     and lines, what=f"{n} pids in {pidfile.name}")
    return {ln.split()[0]: int(ln.split()[1]) for ln in lines}


def test_escapers_are_recorded_while_running_and_stopped_by_down(repo, tmp_path):
    files = {m: tmp_path / f"{m}.pids" for m in ("pgrp", "setsid")}
    repo.plan(
        svc("quiet", rel("closes_stdout.py")),
        svc("pgrp", rel("escape.py"), "pgrp", str(files["pgrp"]), stop_timeout_ms=500),
        svc("setsid", rel("escape.py"), "setsid", str(files["setsid"]), stop_timeout_ms=500),
    )
    ok(repo.cli("up"))
    tree = {m: pids(f, 2) for m, f in files.items()}
    assert os.getpgid(tree["pgrp"]["escaped"]) != tree["pgrp"]["main"]
    assert os.getsid(tree["setsid"]["escaped"]) != os.getsid(tree["setsid"]["main"])
    # While the services run, the supervisor records the escapers (pid + create time).
    for mode in files:
        wait_for(lambda m=mode: tree[m]["escaped"] in
                 [d[0] for d in repo.services()[m]["descendants"]], what=f"{mode} escaper recorded")
    snap = repo.services()
    assert snap["quiet"]["state"] == "running"  # closing its output is not a crash
    assert repo.log("quiet").read_text() == "closing my output\n"
    ok(repo.cli("down"))
    for mode in files:
        for role, pid in tree[mode].items():
            assert not alive(pid), f"{mode}/{role} {pid} survived down"
    assert repo.leftovers() == []


def test_daemonizing_service_fails_up_clearly_and_its_daemon_is_stopped(repo, tmp_path):
    pidfile = tmp_path / "d.pids"
    # A health check that never passes: the service is "starting" until it exits, however slow
    # a loaded box makes its fork and exit (with no check, 0.5 s alive counts as started).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    health = {"type": "tcp", "address": f"127.0.0.1:{closed}", "timeout_ms": 120_000}
    repo.plan(svc("daemon", rel("escape.py"), "daemonize", str(pidfile), restart="no", health=health))
    res = repo.cli("up")
    assert res.returncode == 1
    assert "service 'daemon' failed to start: exited with code 0" in res.stderr
    escaped = pids(pidfile, 2)["escaped"]
    # The daemon was re-parented to the supervisor and carried DEVCTL_SERVICE: stopped with it.
    wait_for(lambda: not alive(escaped), timeout=10, what="the daemonized grandchild to be stopped")
    assert repo.leftovers() == []


def test_log_over_its_file_size_limit_is_reported_not_hidden(repo, tmp_path):
    note = tmp_path / "note"
    repo.plan(svc("big", rel("fill_log.py"), "65536", str(note), restart="no"))
    res = repo.cli("up")
    assert res.returncode == 1
    assert "service 'big' failed to start: killed by SIGXFSZ" in res.stderr, res.stderr
    log = repo.log("big").read_bytes()
    assert len(log) == 65536  # every byte up to the limit is there
    lines = log.decode().splitlines()
    assert lines[:-1] == [f"line {i}" for i in range(1, len(lines))]  # in order, none dropped


def test_service_that_survives_its_full_log_keeps_running_and_stops(repo, tmp_path):
    note = tmp_path / "note"
    repo.plan(svc("full", rel("fill_log.py"), "65536", str(note), "--ignore"))
    ok(repo.cli("up"))
    assert wait_for(lambda: note.exists() and note.read_text(), what="the EFBIG note").endswith(
        "File too large\n")
    assert repo.services()["full"]["state"] == "running"
    assert os.path.getsize(repo.log("full")) == 65536
    pid = repo.services()["full"]["pid"]
    ok(repo.cli("down"))
    assert not alive(pid)
