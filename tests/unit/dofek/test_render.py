"""The dashboard renderer as a pure function: snapshot in, text out."""

from __future__ import annotations

import time

from devctl.dofek.render import format_value, human_bytes, render_text, sparkline


def _plugin(**over):
    plugin = {
        "name": "ollama",
        "config_name": "ollama",
        "state": "healthy",
        "consecutive_errors": 0,
        "last_error": "",
        "restarts": 0,
        "respawn_in_s": None,
        "panels": [],
    }
    plugin.update(over)
    return plugin


def snapshot(**over):
    snap = {
        "tick": 7,
        "time": time.mktime((2026, 1, 2, 3, 4, 5, 0, 0, -1)),
        "refresh_ms": 1000,
        "process_count": 312,
        "processes": [
            {
                "pid": 4242,
                "name": "ollama_llama_server",
                "cpu_percent": 85.04,
                "rss": 4 * 1024**3,
                "vram_bytes": 6 * 1024**3,
                "annotations": [
                    {
                        "plugin": "ollama",
                        "pid": 4242,
                        "label": "llama3:8b",
                        "category": "ai",
                        "ai_state": "inferring",
                    }
                ],
            },
            {
                "pid": 17,
                "name": "node",
                "cpu_percent": 3.0,
                "rss": 150 * 1024**2,
                "vram_bytes": None,
                "annotations": [
                    {"plugin": "devctl", "pid": 17, "label": "web", "category": "dev", "ai_state": None}
                ],
            },
            {
                "pid": 1,
                "name": "init",
                "cpu_percent": 0.0,
                "rss": 900,
                "vram_bytes": None,
                "annotations": [],
            },
        ],
        "plugins": [
            _plugin(
                panels=[
                    {
                        "id": "a",
                        "label": "OLLAMA",
                        "content": [
                            {"key": "Model", "value": "llama3:8b", "style": "accent"},
                            {"key": "Status", "value": "busy", "style": "warn"},
                        ],
                    },
                    {
                        "id": "b",
                        "label": "QUEUE",
                        "content": [{"key": "Waiting", "value": "3", "style": "normal"}],
                    },
                ]
            ),
            _plugin(
                name="hung", state="unhealthy", consecutive_errors=6, last_error="no reply within 2000 ms"
            ),
            _plugin(
                name="flaky", state="crashed", last_error="exited with code 3", respawn_in_s=4.0, restarts=2
            ),
            _plugin(
                name="fresh", state="starting", warnings=["metrics[0].id: metric id 'x' is not namespaced"]
            ),
        ],
        "metrics": [
            {"plugin": "ollama", "id": "ollama.rpm", "label": "Req/min", "value": 12.5, "unit": "req/m"},
            {"plugin": "ollama", "id": "ollama.models", "label": "Models", "value": 3.0, "unit": ""},
        ],
        "services": {
            "supervisor_pid": 99,
            "services": [
                {
                    "name": "web",
                    "state": "running",
                    "restarts": 1,
                    "pid": 17,
                    "processes": 2,
                    "cpu_percent": 3.0,
                    "rss": 150 * 1024**2,
                }
            ],
        },
    }
    snap.update(over)
    return snap


def test_full_dashboard_text() -> None:
    text = render_text(snapshot(), width=120)
    lines = text.splitlines()
    assert lines[0] == ("dofek  tick 7 · 03:04:05 · refresh 1000 ms · 1/4 plugins healthy · 312 processes")
    # watchlist: plugin label with category badge and ai_state; devctl service annotation
    row = next(line for line in lines if "4242" in line)
    assert "ollama_llama_server" in row and "85.0" in row and "4.0 GiB" in row and "6.0 GiB" in row
    assert row.rstrip().endswith("[ai] llama3:8b · inferring (ollama)")
    assert (
        next(line for line in lines if line.strip().startswith("17 "))
        .rstrip()
        .endswith("[dev] web (devctl)")
    )
    # services table
    svc = next(line for line in lines if line.startswith("web"))
    assert svc.split() == ["web", "running", "1", "2", "3.0", "150.0", "MiB"]
    # dock: first panel inline, further panels below, state dots and reasons
    dock = lines[lines.index("Plugins") + 1 :]
    assert dock[0] == "  ● ollama healthy  Model llama3:8b · Status busy"
    assert dock[1] == "      QUEUE: Waiting 3"
    assert dock[2] == "  ◐ hung unhealthy  (6 errors in a row: no reply within 2000 ms)"
    assert dock[3] == "  ✕ flaky crashed  (exited with code 3; restart in 4.0s)"
    assert dock[4] == "  ◌ fresh starting"
    assert dock[5] == "      ⚠ metrics[0].id: metric id 'x' is not namespaced"
    assert lines[-1] == "Metrics Req/min 12.5 req/m  │  Models 3"


def test_empty_dashboard() -> None:
    text = render_text(snapshot(processes=[], plugins=[], metrics=[], services=None), width=100)
    assert "no plugins enabled" in text
    assert text.splitlines()[-1] == "Metrics  none yet"
    assert "devctl services" not in text


def test_same_snapshot_same_text() -> None:
    assert render_text(snapshot()) == render_text(snapshot())


def test_formatting_helpers() -> None:
    assert [format_value(v) for v in (12.0, 12.5, 0.123456, 1234567.8, -3.0)] == [
        "12",
        "12.5",
        "0.1235",
        "1,234,568",
        "-3",
    ]
    assert [human_bytes(n) for n in (None, 512, 2048, 5 * 1024**3)] == ["-", "512 B", "2.0 KiB", "5.0 GiB"]


def test_one_error_is_not_called_errors_in_a_row() -> None:
    """Regression: a single failed poll read '1 errors in a row: ...'."""
    text = render_text(snapshot(plugins=[_plugin(name="x", state="starting", consecutive_errors=1,
                                                 last_error="no reply within 150 ms")]))
    assert "x starting  (no reply within 150 ms)" in text
    assert "1 errors" not in text


def test_a_timed_out_plugin_says_so_and_since_when() -> None:
    snap = snapshot()
    since = snap["time"] - 4.0
    plugin = _plugin(name="hung", panels=[{"id": "p", "label": "P", "content": [
        {"key": "Up", "value": "3", "style": "normal"}]}], consecutive_errors=4,
        last_error="still no reply", timed_out={"since": since, "for_s": 4.0, "timeout_ms": 300})
    text = render_text(snapshot(plugins=[plugin]), width=200)
    clock = time.strftime("%H:%M:%S", time.localtime(since))
    assert f"● hung healthy  ⏱ timed out since {clock} (4.0s, no reply within 300 ms; panel is from before)" \
        "  Up 3" in text
    assert "still no reply" not in text  # the marker says it; no second, vaguer note


def test_an_error_status_is_shown_on_the_panel() -> None:
    plugin = _plugin(name="db", status="error", status_message="connection refused", consecutive_errors=1,
                     last_error="plugin reported an error: connection refused",
                     panels=[{"id": "p", "label": "P", "content": [{"key": "Conns", "value": "0",
                                                                   "style": "normal"}]}])
    text = render_text(snapshot(plugins=[plugin]), width=200)
    assert "● db healthy  ✕ error: connection refused  Conns 0" in text


def test_metric_history_draws_a_sparkline() -> None:
    assert sparkline([]) == "" and sparkline([5.0]) == ""
    assert sparkline([1.0, 1.0, 1.0]) == "▁▁▁"
    assert sparkline([0.0, 7.0, 3.5]) == "▁█▅"
    assert sparkline([float(v) for v in range(20)], width=3) == "▁▅█"
    metric = {"plugin": "p", "id": "p.q", "label": "Q", "value": 2.0, "unit": "", "history": [0.0, 2.0]}
    assert render_text(snapshot(metrics=[metric])).splitlines()[-1] == "Metrics Q 2 ▁█"
