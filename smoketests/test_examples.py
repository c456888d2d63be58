"""Each example, run the way its README says, on a fresh copy with the installed CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.cli import wait_for

NEEDS_REDIS = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="redis-server is not installed (apt-get install redis-server): the fullstack example "
           "runs a real Redis",
)


def http(method: str, url: str, body: bytes | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def services(devctl) -> dict[str, dict]:
    """`status --json` by service name (exit 3 while a service is down still prints the data)."""
    result = devctl("status", "--json")
    assert result.returncode in (0, 3), result.stderr
    return {s["name"]: s for s in json.loads(result.stdout)["services"]}


def test_quickstart(example):
    devctl = example("quickstart")
    devctl.ok("up")
    assert {n: s["state"] for n, s in services(devctl).items()} == {"web": "healthy", "worker": "running"}

    listening = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
    port = wait_for(lambda: listening.search(devctl.ok("logs", "web").stdout), what="its first line").group(1)
    body = wait_for(lambda: http("GET", f"http://127.0.0.1:{port}/")[1]["worker"], what="a worker tick")
    assert body["tick"] >= 1
    assert "worker: tick" in devctl.ok("logs", "worker").stdout

    devctl.ok("down")
    assert devctl("status").returncode == 3


def test_fullstack_refuses_to_start_without_redis(example, tmp_path: Path):
    devctl = example("fullstack")
    bin_dir = tmp_path / "bin"  # a PATH with python3 and nothing else
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    env = {"PATH": str(bin_dir)}
    result = devctl("validate", env=env)
    assert result.returncode == 1
    assert "E_NO_REDIS" in result.stdout
    result = devctl("up", env=env)
    assert result.returncode == 1
    assert "error: validation failed (1 error(s)); nothing was started" in result.stderr
    assert "E_NO_REDIS: redis-server is not on PATH" in result.stderr
    assert "hint: apt-get install redis-server" in result.stderr
    assert devctl("status").returncode == 3

@NEEDS_REDIS
def test_fullstack(example):
    devctl = example("fullstack")
    devctl.ok("validate")
    devctl.ok("up")
    running = services(devctl)
    assert {n: s["state"] for n, s in running.items()} == {"redis": "healthy", "web": "healthy"}
    ports = json.loads((devctl.repo / ".data" / "ports.json").read_text())
    web = f"http://127.0.0.1:{ports['web']}"

    # The web app really talks to Redis.
    assert http("PUT", f"{web}/kv/greeting", b"hello") == (200, {"ok": True})
    assert http("GET", f"{web}/kv/greeting") == (200, {"key": "greeting", "value": "hello"})

    # db-reset: --dry-run only counts; the real one empties the database.
    dry = devctl.ok("db-reset", "--dry-run")
    assert "would remove 1 key(s)" in dry.stderr
    assert http("GET", f"{web}/kv/greeting")[0] == 200
    reset = devctl.ok("db-reset")
    assert "removed 1 key(s)" in reset.stderr
    assert http("GET", f"{web}/kv/greeting")[0] == 404

    # The Dofek plugin sees the same Redis and labels its process.
    snapshot = json.loads(devctl.ok("dofek", "poll", "--once", "--json").stdout)
    assert [(p["name"], p["state"]) for p in snapshot["plugins"]] == [("redis", "healthy")]
    metrics = {m["id"]: m["value"] for m in snapshot["metrics"]}
    assert metrics["redis.keys"] == 0
    labels = {a["label"] for row in snapshot["processes"] if row["pid"] == running["redis"]["pid"]
              for a in row["annotations"]}
    assert f"redis :{ports['redis']}" in labels

    # The dotagent notifier heard `up` finish; then a crash of Redis and its recovery.
    events_file = devctl.repo / ".data" / "events.jsonl"

    def events() -> list[str]:
        text = events_file.read_text() if events_file.exists() else ""
        return [json.loads(line)["event"] for line in text.splitlines()]

    wait_for(lambda: "success" in events(), what="the notifier's success event")
    os.kill(running["redis"]["pid"], signal.SIGKILL)

    def redis_back() -> bool:
        redis = services(devctl)["redis"]
        return redis["restarts"] == 1 and redis["state"] == "healthy"

    wait_for(redis_back, what="redis to be restarted")
    wait_for(lambda: {"attempt_failed", "recovered"} <= set(events()), what="attempt_failed and recovered")
    assert http("GET", f"{web}/")[0] == 200  # the web app reconnects to the new Redis

    devctl.ok("down")
    assert devctl("status").returncode == 3


def test_dashboard(example):
    """The TUI's by-hand example: five services up, one that crashes and is restarted, one that
    floods its log, and its Dofek plugin. Its crash comes sooner here than the 20-40 s it waits
    by default."""
    devctl = example("dashboard")
    config = devctl.repo / ".devctl.yaml"
    config.write_text(config.read_text().replace('FLAKY_MIN_S: "20"', 'FLAKY_MIN_S: "1"')
                      .replace('FLAKY_MAX_S: "40"', 'FLAKY_MAX_S: "1.5"'))
    devctl.ok("up")
    states = {n: s["state"] for n, s in services(devctl).items()}
    assert states["web"] == "healthy", states
    assert set(states) == {"web", "pinger", "worker", "flaky", "flood"}

    wait_for(lambda: services(devctl)["flaky"]["restarts"] >= 1, timeout=30, what="flaky's first restart")
    logs = devctl.repo / ".devctl" / "logs"
    assert "ERROR lost the connection" in "".join(p.read_text() for p in logs.glob("flaky.stderr.log*"))
    flood = devctl.repo / ".devctl/logs/flood.stdout.log"
    wait_for(lambda: flood.stat().st_size > 200_000, timeout=30, what="the flood log to grow")
    assert "pinger: http://127.0.0.1:" in devctl.ok("logs", "pinger").stdout
    assert "sent 3 requests to web" in devctl.ok("traffic", "3").stdout  # the plugin's command

    poll = json.loads(devctl.ok("dofek", "poll", "--once", "--json").stdout)
    (plugin,) = poll["plugins"]
    assert plugin["name"] == "example" and plugin["status"] == "ok", plugin
    assert {m["id"] for m in poll["metrics"]} == {"example.flood_log_mib", "example.web_requests"}

    devctl.ok("down")
    assert devctl("status").returncode == 3
