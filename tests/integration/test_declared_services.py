"""`.devctl.yaml` services brought up for real: `${config...}` from a plugin, `env_file`, `user`.

Lean on purpose: one environment of two declared services checked several ways, and one
plugin-less repo whose service runs as an unprivileged user. The autouse orphan check
(tests/conftest.py) proves nothing is left running.
"""

from __future__ import annotations

import json
import os
import pwd
import shlex
import socket
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.cli import ok, run_cli, wait_for

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "testdata" / "plugins" / "pipe_config_port.py"
SERVICES = ROOT / "testdata" / "services"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().partition("=")[::2] for item in raw if item)


def proc_status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}


def cli(root: Path, *args: str):
    return run_cli("-C", str(root), *args, timeout=90)


def status(root: Path) -> dict[str, dict]:
    return {s["name"]: s for s in json.loads(ok(cli(root, "status", "--json")).stdout)["services"]}


def test_declared_services_get_a_plugins_config_and_an_env_file(tmp_path: Path):
    port = free_port()
    (tmp_path / ".env").write_text('GREETING="hello world"\nexport API_TOKEN=s3cr3t  # a secret\nMODE=file\n')
    (tmp_path / ".devctl.yaml").write_text(f"""\
plugins:
  - id: cfg
    path: {sys.executable}
    args: [{json.dumps(str(PLUGIN))}, "{port}"]
services:
  web:
    command: [{json.dumps(sys.executable)}, {json.dumps(str(SERVICES / "http_health.py"))},
              "${{config.web.port}}"]
    health: {{type: http, url: "http://${{config.web.host}}:${{config.web.port}}/health"}}
  worker:
    command: '{shlex.join([sys.executable, str(SERVICES / "sleeper.py")])}'
    env_file: .env
    env: {{MODE: plan, PORT: "${{config.web.port}}", LITERAL: "$${{config.web.port}}"}}
    depends_on: [web]
""")
    try:
        plan = json.loads(ok(cli(tmp_path, "plan", "--json")).stdout)
        assert [(s["name"], s["plugin"]) for s in plan["services"]] == [("web", ".devctl.yaml"),
                                                                       ("worker", ".devctl.yaml")]
        assert plan["services"][0]["command"][-1] == str(port)

        ok(cli(tmp_path, "up"))
        services = status(tmp_path)
        assert {n: s["state"] for n, s in services.items()} == {"web": "healthy", "worker": "running"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as answer:
            assert answer.status == 200  # the plugin's computed port reached the declared service
        env = environ(services["worker"]["pid"])
        assert (env["GREETING"], env["API_TOKEN"], env["MODE"]) == ("hello world", "s3cr3t", "plan")
        assert (env["PORT"], env["LITERAL"]) == (str(port), "${config.web.port}")
        assert services["worker"]["env"]["API_TOKEN"] == "***"  # the usual redaction in state.json
        assert "s3cr3t" not in (tmp_path / ".devctl" / "state.json").read_text()
        pids = [s["pid"] for s in services.values()]
        ok(cli(tmp_path, "down"))
        for pid in pids:
            assert not Path(f"/proc/{pid}").exists() or proc_status(pid).get("State", "").startswith("Z")
    finally:
        cli(tmp_path, "down", "--timeout", "1")


def test_a_plugin_less_repo_runs_a_service_as_its_user(tmp_path: Path):
    """No plugin at all: `.devctl.yaml` services alone are an environment. Run as root, the
    service is the user's own process (uid, groups, HOME/USER set), writing its root-opened logs."""
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no 'nobody' user on this machine to run a service as")
    if os.geteuid() != 0:
        pytest.skip("switching users needs root (the plan-time refusal is tested in tests/unit)")
    (tmp_path / ".devctl.yaml").write_text(
        "services:\n"
        "  lowly:\n"
        "    command: sh -c 'echo \"I am $USER at $HOME\"; exec sleep 600'\n"
        "    user: nobody\n"
    )
    try:
        ok(cli(tmp_path, "up"))
        service = status(tmp_path)["lowly"]
        assert service["state"] == "running"
        pid = service["pid"]
        ids = proc_status(pid)
        assert ids["Uid"].split() == [str(nobody.pw_uid)] * 4  # real, effective, saved, fs
        assert ids["Gid"].split() == [str(nobody.pw_gid)] * 4
        assert set(ids["Groups"].split()) == {str(g) for g in os.getgrouplist("nobody", nobody.pw_gid)}
        assert Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0] == b"sleep"  # no wrapper
        log = tmp_path / ".devctl" / "logs" / "lowly.stdout.log"
        line = wait_for(lambda: log.read_text().strip(), what="the service's first line", timeout=20)
        assert line == f"I am nobody at {nobody.pw_dir}"
        ok(cli(tmp_path, "down"))
    finally:
        cli(tmp_path, "down", "--timeout", "1")
