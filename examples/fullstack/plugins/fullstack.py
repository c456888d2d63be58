#!/usr/bin/env python3
"""The fullstack example's devctl plugin: a real Redis server and a web app that uses it.

- config.mutate: the two ports (picked by the OS once, kept in .data/ports.json);
- validate.run:  redis-server must be installed;
- launch.plan:   `redis` (TCP health check) and `web` (HTTP health check, depends_on redis);
- commands:      `devctl db-reset` empties the database (FLUSHALL) of the running Redis.

Standard library only and the raw NDJSON protocol, so it runs under any python3 >= 3.8 and
every frame is visible. stdout carries protocol frames only; everything else goes to stderr.
"""

import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.dirname(HERE)
APP = os.path.join(EXAMPLE, "app")
sys.path.insert(0, APP)

import ports  # noqa: E402  (app/ports.py, shared with the Dofek plugin)
from resp import Redis, RedisError  # noqa: E402

COMMANDS = [
    {"name": "db-reset",
     "help": "Empty the example's Redis database (FLUSHALL). With --dry-run: only count the keys."},
]
INSTALL_HINT = ("apt-get install redis-server (Debian, Ubuntu), dnf install redis (Fedora) "
                "or brew install redis (macOS)")


def emit(frame):
    sys.stdout.write(json.dumps(frame) + "\n")
    sys.stdout.flush()


def log(message):
    print(message, file=sys.stderr, flush=True)


def config_mutate(inp, ctx):
    chosen = ports.choose(write=not ctx.get("dry_run"))
    return {"config_patch": {"set": {
        "fullstack.redis_port": chosen["redis"],
        "fullstack.web_port": chosen["web"],
        "fullstack.data_dir": ports.DATA_DIR,
    }, "unset": []}}


def validate(inp, ctx):
    errors = []
    if shutil.which("redis-server") is None:
        errors.append({"code": "E_NO_REDIS", "message": "redis-server is not on PATH",
                       "suggest": INSTALL_HINT})
    return {"valid": not errors, "errors": errors, "warnings": []}


def launch_plan(inp, ctx):
    cfg = (inp.get("config") or {}).get("fullstack") or {}
    redis_port, web_port, data_dir = cfg["redis_port"], cfg["web_port"], cfg["data_dir"]
    redis_dir = os.path.join(data_dir, "redis")
    if not ctx.get("dry_run"):
        os.makedirs(redis_dir, exist_ok=True)
    redis = [shutil.which("redis-server") or "redis-server",
             "--port", str(redis_port), "--bind", "127.0.0.1", "--protected-mode", "yes",
             # A dev database: nothing written to disk, so db-reset and down leave no files.
             "--save", "", "--appendonly", "no", "--dir", redis_dir, "--daemonize", "no"]
    return {"services": [
        {"name": "redis", "command": redis, "cwd": redis_dir,
         "health": {"type": "tcp", "address": f"127.0.0.1:{redis_port}", "timeout_ms": 15000},
         "restart": "on-failure"},
        {"name": "web", "command": [sys.executable, "web.py"], "cwd": APP,
         "env": {"PORT": str(web_port), "REDIS_PORT": str(redis_port)},
         "health": {"type": "http", "url": f"http://127.0.0.1:{web_port}/health", "timeout_ms": 15000},
         "depends_on": ["redis"], "restart": "on-failure"},
    ]}


def commands_list(inp, ctx):
    return {"commands": COMMANDS}


def command_run(inp, ctx):
    name, argv = inp.get("name"), inp.get("argv") or []
    if name != "db-reset":
        raise LookupError(f"unknown command {name!r}")
    if "-h" in argv or "--help" in argv:
        log("usage: devctl db-reset [--dry-run]\n\n" + COMMANDS[0]["help"])
        return {"exit_code": 0}
    unknown = [a for a in argv if a != "--dry-run"]
    if unknown:
        log(f"db-reset: unknown argument {unknown[0]!r} (usage: devctl db-reset [--dry-run])")
        return {"exit_code": 2}
    dry_run = bool(ctx.get("dry_run")) or "--dry-run" in argv
    port = ((inp.get("config") or {}).get("fullstack") or {}).get("redis_port")
    try:
        with Redis(port) as r:
            keys = r.command("DBSIZE")
            if dry_run:
                log(f"db-reset: would remove {keys} key(s) from redis at 127.0.0.1:{port} (dry run)")
            else:
                r.command("FLUSHALL")
                log(f"db-reset: removed {keys} key(s) from redis at 127.0.0.1:{port}")
    except RedisError as exc:
        log(f"db-reset: {exc}; is the stack up? (`devctl up`)")
        return {"exit_code": 1}
    return {"exit_code": 0}


HANDLERS = {
    "config.mutate": config_mutate,
    "validate.run": validate,
    "launch.plan": launch_plan,
    "commands.list": commands_list,
    "command.run": command_run,
}

emit({"type": "handshake", "protocol_version": "v1", "plugin_name": "fullstack",
      "capabilities": {"ops": sorted(HANDLERS), "commands": [c["name"] for c in COMMANDS]}})

for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    rid = request.get("request_id", "")
    handler = HANDLERS.get(request.get("op"))
    if handler is None:
        emit({"type": "response", "request_id": rid, "ok": False,
              "error": {"code": "E_UNSUPPORTED", "message": f"unsupported op: {request.get('op')}"}})
        continue
    try:
        output = handler(request.get("input") or {}, request.get("ctx") or {})
        emit({"type": "response", "request_id": rid, "ok": True, "output": output})
    except Exception as exc:  # answer every request, even when a handler breaks
        emit({"type": "response", "request_id": rid, "ok": False,
              "error": {"code": "E_FULLSTACK", "message": f"{type(exc).__name__}: {exc}"}})
