"""Concurrency and load: two `up` at once, readers during `up`/`down`, many services, a log
flood followed live, and a Dofek host with 20 plugins of which 5 misbehave.

Timing assertions are generous (a shared 2-core box): they catch "waited for the hung plugin"
or "lost the lines", not speed. The figures are printed (`-s`) and quoted in docs/reliability.md.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.cli import ok, wait_for
from tests.reliability.harness import Repo, alive, free_port, no_traceback, rel, svc


@pytest.fixture
def repo(tmp_path):
    r = Repo(tmp_path)
    yield r
    r.cli("down", "--timeout", "1")


def test_two_ups_at_once_start_one_set_of_services(repo):
    repo.plan(*(svc(f"s{i}", "sleeper.py") for i in range(3)))
    procs = [repo.popen("up") for _ in range(2)]
    results = [(p.wait(timeout=90), *p.communicate()) for p in procs]
    # One starts the supervisor; the other finds it (before or while launching its own) and
    # applies the same plan to it: nothing to change, both succeed.
    assert [r[0] for r in results] == [0, 0], results
    for r in results:
        no_traceback(r[2])
    assert any("already up to date" in r[2] for r in results), results
    snap = repo.status()
    assert [s["state"] for s in snap["services"]] == ["running"] * 3  # the winner's services, once


def test_status_and_logs_follow_while_up_and_down_run(repo):
    port = free_port()
    repo.plan(svc("slow", "tcp_listen.py", str(port), "--delay", "1",
                  health={"type": "tcp", "address": f"127.0.0.1:{port}"}),
              *(svc(f"w{i}", "sleeper.py") for i in range(3)))
    stop = threading.Event()
    problems: list[str] = []
    seen_states: set[str] = set()

    def poll_status() -> None:
        while not stop.is_set():
            res = repo.cli("status", "--json")
            if res.returncode not in (0, 3) or "Traceback" in res.stderr:
                problems.append(f"status exit {res.returncode}: {res.stderr[-500:]}")
                continue
            try:
                snap = json.loads(res.stdout)
            except ValueError:
                problems.append(f"status printed no JSON: {res.stdout[:200]!r}")
                continue
            seen_states.update(s["state"] for s in snap["services"])

    poller = threading.Thread(target=poll_status, daemon=True)
    poller.start()
    up = repo.popen("up")
    # `logs -f` with no log at all is a clear error by design: start it as the first log appears.
    wait_for(lambda: list(repo.state_dir.glob("logs/*.log")) or up.poll() is not None, what="a log")
    follower = repo.popen("logs", "-f")
    try:
        assert up.wait(timeout=90) == 0, up.communicate()
        ok(repo.cli("down"))
        time.sleep(0.3)
    finally:
        stop.set()
        poller.join(60)
        follower.send_signal(signal.SIGINT)
        out, err = follower.communicate(timeout=30)
    assert problems == []
    assert {"starting", "running"} & seen_states, seen_states
    assert follower.returncode == 0, err
    no_traceback(err)
    assert "slow | listening on" in out and out.count("| sleeping") == 3, out


def test_many_services_in_one_repo(repo, budget):
    n = budget.services
    repo.plan(*(svc(f"svc{i:03d}", "sleeper.py", stop_timeout_ms=2000) for i in range(n)))
    t0 = time.monotonic()
    ok(repo.cli("up", timeout=300))
    t_up = time.monotonic() - t0
    snap = repo.status()
    assert len(snap["services"]) == n and {s["state"] for s in snap["services"]} == {"running"}
    pids = [s["pid"] for s in snap["services"]]
    res = repo.cli("status")
    assert res.returncode == 0 and res.stdout.count("running") == n
    t1 = time.monotonic()
    ok(repo.cli("down", timeout=300))
    t_down = time.monotonic() - t1
    assert not any(alive(p) for p in pids) and repo.leftovers() == []
    print(f"\n{n} services: up {t_up:.1f} s, down {t_down:.1f} s (CLI wall time, pipeline included)")


def test_flood_followed_live_every_line_in_order(repo, budget):
    # 50 MB/s, after 1.5 s: `up` returns once the service has stayed up 0.5 s, and `logs -f` is a
    # CLI start-up after that; without the head start, a loaded box (three test workers on two
    # cores) left the follower under a third of a 2 s flood (309,000 of 1,000,000 lines).
    repo.plan(svc("flood", rel("flood.py"), str(budget.flood_s), "50", "1.5"))
    follower = None
    try:
        ok(repo.cli("up"))
        follower = repo.popen("logs", "-f", "-n", "0", "--stdout", "flood")
        done = wait_for(lambda: "wrote" in repo.log("flood", "stderr").read_text(),
                        timeout=budget.flood_s + 60, what="the flood to end")
        summary = repo.log("flood", "stderr").read_text().strip()
        total = int(summary.split()[1])
        # logs -f starts at the end of the file: it sees a suffix of the lines, then all of them
        expected_last = total
        got: list[int] = []
        deadline = time.monotonic() + 120
        assert follower.stdout is not None
        for line in follower.stdout:
            got.append(int(line[:9]))
            if got[-1] == expected_last or time.monotonic() > deadline:
                break
        assert done
    finally:
        if follower is not None:
            follower.send_signal(signal.SIGINT)
            follower.communicate(timeout=30)
    first = got[0]
    assert got == list(range(first, expected_last + 1)), "lines lost, repeated or out of order"
    assert len(got) >= total // 3, (len(got), total)  # it followed most of the flood, live
    print(f"\nflood: {summary}; logs -f received {len(got)} lines in order (from line {first})")


def test_dofek_host_with_20_plugins_five_misbehaving_keeps_ticking(tmp_path, budget):
    import anyio

    from devctl.dofek.config import DofekConfig, PluginConf
    from devctl.dofek.poller import DofekHost
    from devctl.dofek.scan import Scanner

    td = Path(__file__).resolve().parents[2] / "testdata" / "dofek"

    def plugin(name: str, script: str, *args: str) -> PluginConf:
        return PluginConf(name=name, command=sys.executable, args=(str(td / script), *args),
                          timeout_ms=1000, cwd=td, executable=sys.executable)

    bad = [plugin("hang", "hanging.py"), plugin("slow", "slow.py", "5"), plugin("crash", "crashing.py"),
           plugin("garbage", "garbage.py"), plugin("stubborn", "ignore_shutdown.py")]
    good = [plugin(f"ok{i:02d}", "ok.py", f"ok{i:02d}") for i in range(15)]
    refresh = 0.5
    host = DofekHost(DofekConfig(path=None, refresh_ms=int(refresh * 1000), plugins=(*good, *bad)),
                     log_dir=tmp_path, scanner=Scanner(gpu=False))
    stamps: list[float] = []
    snaps: list[dict] = []
    ticks = int(budget.dofek_s / refresh)

    def on_tick(snap: dict) -> None:
        stamps.append(time.monotonic())
        snaps.append(snap)

    anyio.run(lambda: host.run(on_tick, ticks=ticks))
    gaps = sorted(b - a for a, b in zip(stamps[1:], stamps[2:], strict=False))  # after start-up
    # A tick that waited for the hung or slow plugin would take their 1 s timeout or 5 s.
    assert gaps[-1] < 2.5 * refresh, gaps
    assert stamps[-1] - stamps[1] < (ticks - 2) * refresh * 1.5 + 1.0
    last = snaps[-1]
    states = {p["config_name"]: p["state"] for p in last["plugins"]}
    assert all(states[f"ok{i:02d}"] == "healthy" for i in range(15)), states
    print(f"\ndofek: {ticks} ticks of {refresh} s with 20 plugins; gap median {gaps[len(gaps) // 2]:.3f} s, "
          f"max {gaps[-1]:.3f} s; states of the bad ones: "
          f"{ {k: v for k, v in states.items() if not k.startswith('ok')} }")
