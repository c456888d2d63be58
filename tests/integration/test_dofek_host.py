"""The poll host with real plugin processes (testdata/dofek/*.py).

Timing assertions are relative to the configured refresh with generous margins: the
machine is small and shared, so we check "never waits for the hung plugin" (which would
cost whole seconds), not absolute speed.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import anyio

from devctl.dofek.config import DofekConfig, PluginConf
from devctl.dofek.poller import DofekHost
from devctl.dofek.scan import Scanner

TD = Path(__file__).resolve().parents[2] / "testdata" / "dofek"


def plugin(name: str, script: str, *args: str, timeout_ms: int = 2000) -> PluginConf:
    return PluginConf(name=name, command=sys.executable, args=(str(TD / script), *args),
                      timeout_ms=timeout_ms, cwd=TD, executable=sys.executable)


def config(refresh_ms: int, *plugins: PluginConf) -> DofekConfig:
    return DofekConfig(path=None, refresh_ms=refresh_ms, plugins=plugins)


def run_host(host: DofekHost, ticks: int) -> tuple[list[dict[str, Any]], list[float], float]:
    """Run `ticks` ticks; return the snapshots, their monotonic times (the first entry is the
    start of the run), and how long the shutdown took after the last tick."""
    snaps: list[dict[str, Any]] = []
    stamps: list[float] = [time.monotonic()]

    def on_tick(snap: dict[str, Any]) -> None:
        snaps.append(snap)
        stamps.append(time.monotonic())

    anyio.run(lambda: host.run(on_tick, ticks=ticks))
    return snaps, stamps, time.monotonic() - stamps[-1]


def by_name(snap: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in snap["plugins"] if p["config_name"] == name)


def panel_value(plug: dict[str, Any], key: str) -> str | None:
    for panel in plug["panels"]:
        for item in panel["content"]:
            if item["key"] == key:
                return item["value"]
    return None


def test_hung_slow_and_crashing_plugins_never_delay_the_healthy_ones(tmp_path: Path) -> None:
    refresh = 0.3
    host = DofekHost(config(300,
                            plugin("ok", "ok.py", "okay"),
                            plugin("hang", "hanging.py"),
                            plugin("slow", "slow.py", "5"),
                            plugin("crash", "crashing.py")),
                     log_dir=tmp_path, scanner=Scanner(gpu=False))
    snaps, stamps, _ = run_host(host, ticks=14)
    start, stamps = stamps[0], stamps[1:]
    # Waiting for the hung plugin would cost its 2 s timeout; the first tick may wait half a
    # refresh for this tick's replies, plus spawning four interpreters on a busy box.
    assert stamps[0] - start < 1.5, stamps[0] - start
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert max(gaps) < 2.5 * refresh, gaps
    assert stamps[-1] - stamps[0] < 13 * refresh * 1.6 + 1.0
    # the healthy plugin answered (fresh data) on nearly every tick
    seen = [panel_value(by_name(s, "ok"), "Seen") for s in snaps]
    assert len(set(seen)) >= 11, seen
    assert by_name(snaps[-1], "ok")["state"] == "healthy"
    # the hung one: timed out, then skipped (each skipped tick counted), finally unhealthy
    hang = by_name(snaps[-1], "hang")
    assert hang["state"] == "unhealthy" and hang["counters"]["timeouts"] == 1
    assert hang["counters"]["stuck"] >= 4 and hang["counters"]["polls"] == 1
    # the crashing one was seen crashed and was respawned after its 1 s backoff
    assert any(by_name(s, "crash")["state"] == "crashed" for s in snaps)
    assert by_name(snaps[-1], "crash")["restarts"] >= 1
    assert "exited with code 3" in by_name(snaps[-1], "crash")["last_error"]
    # manifest names the plugin; metrics and annotations are merged
    assert by_name(snaps[-1], "ok")["name"] == "okay"
    assert any(m["id"] == "okay.processes" for m in snaps[-1]["metrics"])
    # stderr went to the log, with host markers for each start
    log = (tmp_path / "ok.log").read_text()
    assert "poll 1" in log and "started pid" in log
    assert "crashing on purpose" in (tmp_path / "crash.log").read_text()


def test_late_reply_is_discarded_and_never_shifts_later_polls(tmp_path: Path) -> None:
    wall = iter(range(1, 10_000))
    host = DofekHost(config(200, plugin("slow", "slow.py", "0.8", "1", timeout_ms=300)),
                     log_dir=tmp_path, scanner=Scanner(gpu=False), wall=lambda: float(next(wall)))
    snaps, _, _ = run_host(host, ticks=12)
    first_poll_ts = str(snaps[0]["time"] * 1000 - 1000)  # the poll before the first snapshot
    shown = [(int(s["time"] * 1000) - 1000, panel_value(by_name(s, "slow"), "Seen")) for s in snaps]
    values = [v for _, v in shown if v is not None]
    assert values, shown
    assert first_poll_ts not in values  # the late reply to poll 1 is never shown
    final = by_name(snaps[-1], "slow")
    assert final["counters"]["late"] == 1 and final["counters"]["timeouts"] == 1
    assert final["state"] == "healthy"
    # after recovery every reply matches the poll of its own tick (no shift by one)
    recovered = [(ts, v) for ts, v in shown[-5:] if v is not None]
    assert recovered and all(str(ts) == v for ts, v in recovered), shown


def test_garbage_and_extra_lines_are_drained_and_counted(tmp_path: Path) -> None:
    host = DofekHost(config(150, plugin("garbage", "garbage.py"), plugin("two", "two_lines.py")),
                     log_dir=tmp_path, scanner=Scanner(gpu=False))
    snaps, _, _ = run_host(host, ticks=5)
    for name in ("garbage", "two"):
        plug = by_name(snaps[-1], name)
        assert plug["counters"]["extra_lines"] >= 4, plug
        assert plug["counters"]["replies"] >= 4 and plug["errors"] >= 4
        assert "extra stdout line" in plug["last_error"]
    assert {m["id"] for m in snaps[-1]["metrics"]} == {"garbage.ok", "two.lines"}


def test_two_mib_line_is_refused_and_the_plugin_stopped(tmp_path: Path) -> None:
    host = DofekHost(config(200, plugin("long", "long_line.py"), plugin("ok", "ok.py")),
                     log_dir=tmp_path, scanner=Scanner(gpu=False))
    snaps, _, _ = run_host(host, ticks=4)
    long = by_name(snaps[-1], "long")
    assert "longer than 1048576 bytes refused" in long["last_error"]
    assert long["panels"] == [] and long["counters"]["replies"] == 0
    assert any(by_name(s, "long")["state"] == "crashed" for s in snaps)
    assert by_name(snaps[-1], "ok")["state"] == "healthy"


def test_shutdown_ignored_means_killed_after_two_seconds(tmp_path: Path) -> None:
    host = DofekHost(config(200, plugin("stubborn", "ignore_shutdown.py"), plugin("ok", "ok.py")),
                     log_dir=tmp_path, scanner=Scanner(gpu=False))
    snaps, _, shutdown_s = run_host(host, ticks=2)
    stubborn, ok = host.runners
    assert by_name(snaps[-1], "stubborn")["name"] == "stubborn"
    assert stubborn.shutdown_clean is False and ok.shutdown_clean is True
    assert 1.8 < shutdown_s < 15  # waited the grace, then killed the group (SIGTERM is ignored)
    assert "killed by SIGKILL" in (tmp_path / "stubborn.log").read_text()
    # the autouse orphan check also proves the stubborn plugin's child is gone


def test_dead_pids_are_dropped_and_missing_commands_retried(tmp_path: Path) -> None:
    reply = ('{"process_annotations":[{"pid":999999,"label":"ghost"}],'
             '"panels":[{"id":"p","content":[{"key":"k","value":"v","style":"bright"}]}]}')
    missing = PluginConf(name="missing", command="no-such-dofek-plugin", cwd=TD,
                         executable="no-such-dofek-plugin")
    host = DofekHost(config(200, plugin("ghost", "reply.py", reply), plugin("ok", "ok.py"), missing),
                     log_dir=tmp_path, scanner=Scanner(gpu=False))
    snaps, _, _ = run_host(host, ticks=3)
    annotated = {a["pid"] for row in snaps[-1]["processes"] for a in row["annotations"]}
    assert 999999 not in annotated
    assert host.runners[1].pid in annotated  # the ok plugin annotates itself: a live pid is kept
    ghost = by_name(snaps[-1], "ghost")
    assert ghost["counters"]["replies"] >= 3 and ghost["state"] == "healthy"
    assert len(ghost["warnings"]) == 1 and "'bright' is not a known style" in ghost["warnings"][0]  # once
    assert ghost["panels"][0]["content"][0]["style"] == "normal"
    gone = by_name(snaps[-1], "missing")
    assert gone["state"] == "crashed" and "cannot start 'no-such-dofek-plugin'" in gone["last_error"]


def test_no_plugins_still_ticks() -> None:
    host = DofekHost(config(100), scanner=Scanner(gpu=False))
    snaps, _, _ = run_host(host, ticks=3)
    assert [s["tick"] for s in snaps] == [1, 2, 3]
    assert snaps[-1]["process_count"] > 0 and snaps[-1]["plugins"] == []


def _panel(value: str) -> dict[str, Any]:
    return {"id": "p", "label": "P", "content": [{"key": "Value", "value": value}]}


def test_every_reply_dofek_renders_is_rendered(tmp_path: Path) -> None:
    """The shapes real plugins send: the protocol crate's defaults (status "", manifest null),
    a manifest that comes only in a later reply, and status "error" with its panels."""
    replies = [
        {"status": "", "manifest": None, "panels": [_panel("one")]},
        {"status": "", "manifest": None, "panels": [_panel("two")]},
        {"status": "ok", "manifest": {"name": "named-later", "version": "0.1.0"},
         "panels": [_panel("three")]},
        {"status": "error", "message": "backend down", "panels": [_panel("four")],
         "metrics": [{"id": "seq.value", "label": "V", "value": 4}]},
        {"status": "", "panels": [_panel("five")]},
    ]
    host = DofekHost(config(150, plugin("seq", "sequence.py", json.dumps(replies))),
                     log_dir=tmp_path, scanner=Scanner(gpu=False))
    snaps: list[dict[str, Any]] = []
    # wait_all (as `poll --once`): each tick's snapshot holds that tick's reply
    anyio.run(lambda: host.run(snaps.append, ticks=6, wait_all=True))
    answered = [s for s in snaps if by_name(s, "seq")["panels"]]
    values = [panel_value(by_name(s, "seq"), "Value") for s in answered]
    # never frozen on the first reply: each reply replaced the panel in turn
    assert values == ["one", "two", "three", "four", "five", "five"], values
    at_error = next(by_name(s, "seq") for s in answered if panel_value(by_name(s, "seq"), "Value") == "four")
    assert (at_error["status"], at_error["status_message"], at_error["last_outcome"]) == (
        "error", "backend down", "error")
    last = by_name(snaps[-1], "seq")
    assert last["name"] == "named-later" and last["status"] == "ok" and last["status_message"] is None
    assert last["counters"]["invalid"] == 0 and last["warnings"] == []


def test_a_timed_out_plugin_says_since_when(tmp_path: Path) -> None:
    replies = [{"status": "ok", "panels": [_panel("fresh")]}, "hang"]
    host = DofekHost(config(200, plugin("hung", "sequence.py", json.dumps(replies), timeout_ms=600)),
                     log_dir=tmp_path, scanner=Scanner(gpu=False))
    snaps, _, _ = run_host(host, ticks=12)
    first = next(i for i, s in enumerate(snaps) if by_name(s, "hung")["panels"])
    assert by_name(snaps[first], "hung")["timed_out"] is None
    marked = next(i for i, s in enumerate(snaps) if by_name(s, "hung")["timed_out"])
    later = [by_name(s, "hung") for s in snaps[marked:]]
    assert len(later) >= 3 and all(p["timed_out"] is not None for p in later)
    # the last panel stays, marked: since one fixed moment, for longer each tick
    assert {panel_value(p, "Value") for p in later} == {"fresh"}
    assert len({p["timed_out"]["since"] for p in later}) == 1
    fors = [p["timed_out"]["for_s"] for p in later]
    assert fors == sorted(fors) and fors[-1] > fors[0]
    assert later[-1]["timed_out"]["timeout_ms"] == 600
    assert later[-1]["timed_out"]["since"] <= snaps[-1]["time"] - fors[-1] + 0.5
