"""Snapshots of the events, pipeline and plugins views in the dashboard, on fixed data
(`tests/tui/screen.py` says how to update them). Times and dates, which depend on the clock and
the time zone, are masked."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from devctl.config import PluginSpec
from devctl.pipeline import PHASES, PipelineResult
from devctl.pipeline.record import build_record, write_record
from devctl.tui.app import DevctlApp
from devctl.tui.context import TuiContext
from tests.tui.screen import assert_snapshot, mask, settled_text, wait_until

pytestmark = pytest.mark.anyio

SIZES = [(100, 30), (80, 24)]
IDS = ["100x30", "80x24"]
#: `11-30 14:03:07`, `2026-11-30 14:03:07` and `14:03:07.125`: local times of fixed instants.
TIMES = (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r"\b\d\d-\d\d \d\d:\d\d:\d\d", r"\b\d\d:\d\d:\d\d\.\d{3}")
T0 = 1_764_000_000.0  # a fixed instant, long before any run of this test


def repo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    root.mkdir()
    (root / ".devctl.yaml").write_text(
        "plugins:\n"
        "  - id: app\n    path: python3\n    args: [plugins/app.py]\n"
        "  - id: db\n    path: python3\n    args: [plugins/db.py]\n    priority: 5\n"
        "  - id: tools\n    path: python3\n    args: [plugins/tools.py]\n    priority: 9\n"
        "    enabled: false\n")
    return root


def events(root: Path) -> None:
    rows = [(None, "supervisor_started", {}), ("db", "started", {"pid": 4101}), ("db", "ready", {}),
            ("web", "started", {"pid": 4102}), ("worker", "started", {"pid": 4103}), ("web", "ready", {}),
            ("worker", "exited", {"pid": 4103, "exit_code": 1}),
            ("worker", "restarting", {"attempt": 1, "delay_s": 1.0}), ("worker", "started", {"pid": 4120}),
            ("worker", "exited", {"pid": 4120, "exit_code": 1}), ("worker", "gave_up", {"attempts": 2}),
            (None, "up_done", {}), ("web", "watch_restart", {"paths": ["src/app.py"], "changes": 1}),
            ("db", "unhealthy", {"error": "connection refused"}), ("db", "recovered", {})]
    path = root / ".devctl" / "events.ndjson"
    path.parent.mkdir(exist_ok=True)
    path.write_text("".join(json.dumps({"ts": T0 + i * 1.25, "service": s, "event": e, **x}) + "\n"
                            for i, (s, e, x) in enumerate(rows)))


def record(root: Path) -> None:
    def client(plugin_id: str, ops: list[str], commands: list[str], stderr: list[str]) -> Any:
        return SimpleNamespace(spec=SimpleNamespace(id=plugin_id), pid=4000, ops=frozenset(ops),
                               streams=frozenset(), commands=commands, warnings=[],
                               handshake={"type": "handshake", "protocol_version": "v1",
                                          "plugin_name": plugin_id,
                                          "capabilities": {"ops": ops, "commands": commands}},
                               stderr_tail=lambda n=20: stderr)
    steps = [{"event": "phase_start", "phase": "config.mutate"},
             {"event": "plugin_end", "phase": "config.mutate", "plugin": "app", "duration_ms": 21},
             {"event": "phase_end", "phase": "config.mutate", "ok": True, "duration_ms": 22},
             {"event": "phase_start", "phase": "build.run"},
             {"event": "step", "phase": "build.run", "plugin": "app", "name": "deps", "ok": True,
              "skipped": True, "message": "lockfile unchanged"},
             {"event": "step", "phase": "build.run", "plugin": "app", "name": "compile", "ok": True,
              "duration_ms": 3020, "message": "compiled 12 files"},
             {"event": "plugin_end", "phase": "build.run", "plugin": "app", "duration_ms": 3040},
             {"event": "phase_end", "phase": "build.run", "ok": True, "duration_ms": 3041},
             {"event": "phase_start", "phase": "validate.run"},
             {"event": "plugin_end", "phase": "validate.run", "plugin": "db", "duration_ms": 130},
             {"event": "phase_end", "phase": "validate.run", "ok": True, "duration_ms": 131}]
    result = PipelineResult(valid=False, errors=[{"plugin": "db", "code": "E_PORT",
                                                  "message": "port 5432 is taken",
                                                  "suggest": "stop the other postgres"}],
                            warnings=[{"plugin": "app", "code": "W_NODE", "message": "node 16 is old"}])
    specs = [PluginSpec(id="app", path="python3"), PluginSpec(id="db", path="python3", priority=5)]
    clients = [client("app", ["config.mutate", "build.run", "launch.plan"], ["seed", "reset-db"],
                      ["app: compiling 12 files", "app: done"]),
               client("db", ["validate.run", "launch.plan"], [], ["db: checking port 5432"])]
    write_record(root, build_record(command="up", phases=tuple(p for p in PHASES if p != "prepare.run"),
                                    events=steps, specs=specs, clients=clients, result=result, error=None,
                                    started=T0, duration_ms=3310))


@pytest.mark.parametrize("size", SIZES, ids=IDS)
async def test_events_pipeline_and_plugins_views(tmp_path: Path, size: tuple[int, int]) -> None:
    root = repo(tmp_path)
    events(root)
    record(root)
    app = DevctlApp(TuiContext(root, None), feed=False)
    tag = f"{size[0]}x{size[1]}"
    async with app.run_test(size=size) as pilot:
        await pilot.press("3")
        view: Any = app.view("events")
        await wait_until(pilot, lambda: view.loaded, what="the events history")
        assert_snapshot(mask(await settled_text(pilot), *TIMES), f"events-{tag}")
        await pilot.press("4")
        view = app.view("pipeline")
        await wait_until(pilot, lambda: view.record is not None, what="the pipeline record")
        assert_snapshot(mask(await settled_text(pilot), *TIMES), f"pipeline-{tag}")
        await pilot.press("5")
        view = app.view("plugins")
        await wait_until(pilot, lambda: view.loads >= 1, what="the plugins")
        assert_snapshot(mask(await settled_text(pilot), *TIMES), f"plugins-{tag}")
