"""The whole loop a user goes through, with the installed CLI in a fresh temp repo:
`plugins new`-style plugin → plan → up → status → logs → a plugin command → a stream → down."""

from __future__ import annotations

import json
import sys
import time

PLUGIN = '''
import socket
from devctl.sdk import Plugin, PluginFailure, log

plugin = Plugin("shop")


@plugin.op("config.mutate")
def mutate(req):
    if "shop" in req.config:
        return {}
    with socket.socket() as sock:          # a port the OS picks
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return {"config_patch": {"set": {"shop.port": port}}}


@plugin.op("validate.run")
def validate(req):
    return {"valid": True, "errors": [], "warnings": [{"code": "W_DEMO", "message": "demo only"}]}


@plugin.op("launch.plan")
def plan(req):
    port = req.config["shop"]["port"]
    return {"services": [
        {"name": "api", "command": [PY, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
         "health": {"type": "http", "url": f"http://127.0.0.1:{port}/", "timeout_ms": 15000}},
        {"name": "worker", "command": [PY, "-u", "-c",
            "import time\\nfor i in range(10**6):\\n    print('worker tick', i)\\n    time.sleep(0.2)"],
         "depends_on": ["api"]},
    ]}


@plugin.command("greet", help="Say hello to NAME")
def greet(req):
    if not req.argv:
        raise PluginFailure("E_USAGE", "usage: devctl greet NAME")
    log(f"hello, {req.argv[0]}! the api listens on port {req.config['shop']['port']}")
    return 0


@plugin.stream("shop.count")
def count(req):
    for n in range(req.input.get("to", 3)):
        yield {"event": "count", "n": n}


plugin.run()
'''


def repo_files() -> dict[str, str]:
    return {
        ".devctl.yaml": f"plugins:\n  - id: shop\n    path: {sys.executable}\n    args: [plugins/shop.py]\n",
        "plugins/shop.py": f"PY = {sys.executable!r}\n" + PLUGIN,
    }


def test_full_loop(make_repo):
    devctl = make_repo(repo_files())

    plan = json.loads(devctl.ok("plan", "--json").stdout)
    assert [s["name"] for s in plan["services"]] == ["api", "worker"]
    assert plan["services"][1]["depends_on"] == ["api"]

    up = devctl.ok("up")
    assert "2 service(s) ready" in up.stderr
    assert "warning: shop: demo only" in up.stderr  # validation warnings are shown, not fatal

    status = devctl.ok("status", "--json")
    states = {s["name"]: s["state"] for s in json.loads(status.stdout)["services"]}
    assert states == {"api": "healthy", "worker": "running"}
    assert devctl.ok("status").stdout.count("\n") >= 3  # the human table: header + 2 rows

    deadline = time.monotonic() + 20
    while "worker tick 2" not in (logs := devctl.ok("logs", "worker").stdout):
        assert time.monotonic() < deadline, f"worker output never reached the logs:\n{logs}"
        time.sleep(0.2)
    assert "worker tick 0" in logs

    greet = devctl.ok("greet", "smoke")
    assert "hello, smoke! the api listens on port" in greet.stderr
    bad = devctl("greet")
    assert bad.returncode == 1 and "E_USAGE" in bad.stderr and "usage: devctl greet NAME" in bad.stderr
    assert "greet" in devctl.ok("--help").stdout  # listed under Plugin commands
    # Shell completion (what `devctl --install-completion` wires up) offers it too.
    bash = {"_DEVCTL_COMPLETE": "complete_bash", "COMP_WORDS": "devctl gr", "COMP_CWORD": "1"}
    completion = devctl(env=bash)
    assert completion.stdout.split() == ["greet"]

    stream = devctl.ok("stream", "--plugin", "shop", "--op", "shop.count", "--input", '{"to": 2}', "--json")
    events = [json.loads(line) for line in stream.stdout.splitlines()]
    assert [e.get("n") for e in events if e["event"] == "count"] == [0, 1]
    assert events[-1]["event"] == "end" and events[-1]["ok"] is True

    down = devctl.ok("down")
    assert "stopped 2 services" in down.stdout + down.stderr
    assert devctl("status").returncode == 3
    assert devctl.ok("down").returncode == 0  # nothing running: still fine

