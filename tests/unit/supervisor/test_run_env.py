"""What `devctl run` hands CMD, which services it needs, and when a running env can be reused."""

import json
from pathlib import Path

from devctl.pipeline.services import normalize_service
from devctl.supervisor.run_env import (
    needed,
    reuse_problem,
    run_variables,
    service_prefix,
    service_variables,
    unknown_names,
)
from devctl.supervisor.state_store import redact_env

ROOT = Path("/repo")


def svc(name, **extra):
    return normalize_service({"name": name, "command": ["x"], **extra}, "p", ROOT)


def test_prefix_is_upper_cased_with_non_alnum_as_underscore():
    assert service_prefix("web") == "DEVCTL_WEB"
    assert service_prefix("api-v2.internal") == "DEVCTL_API_V2_INTERNAL"
    assert service_prefix("café") == "DEVCTL_CAF_"


def test_tcp_health_gives_host_port_and_address_but_no_url():
    got = service_variables(svc("db", health={"type": "tcp", "address": "127.0.0.1:5432"}))
    assert got == {"DEVCTL_DB_HOST": "127.0.0.1", "DEVCTL_DB_PORT": "5432",
                   "DEVCTL_DB_ADDRESS": "127.0.0.1:5432"}


def test_http_health_gives_the_origin_and_the_whole_probe_url():
    got = service_variables(svc("web", health={"type": "http", "url": "http://localhost:8080/healthz"}))
    assert got["DEVCTL_WEB_URL"] == "http://localhost:8080"
    assert got["DEVCTL_WEB_HEALTH_URL"] == "http://localhost:8080/healthz"
    assert got["DEVCTL_WEB_PORT"] == "8080"
    v6 = service_variables(svc("v6", health={"type": "http", "url": "https://[::1]/"}))
    assert v6["DEVCTL_V6_ADDRESS"] == "[::1]:443" and v6["DEVCTL_V6_URL"] == "https://[::1]:443"


def test_ports_declared_in_env_are_passed_and_health_wins_port():
    got = service_variables(svc("web", env={"PORT": "3000", "ADMIN_PORT": "3001", "PORTAL": "9",
                                            "DEBUG_PORT": "not-a-number"},
                                health={"type": "tcp", "address": "127.0.0.1:4000"}))
    assert got["DEVCTL_WEB_PORT"] == "4000"
    assert got["DEVCTL_WEB_ADMIN_PORT"] == "3001"
    assert "DEVCTL_WEB_PORTAL" not in got and "DEVCTL_WEB_DEBUG_PORT" not in got
    assert service_variables(svc("w", env={"PORT": "3000"})) == {"DEVCTL_W_PORT": "3000"}


def test_run_variables_carry_config_names_root_and_warn_on_a_shared_prefix():
    services = [svc("web-1", env={"PORT": "1"}), svc("web_1", env={"PORT": "2"})]
    variables, warnings = run_variables(services, {"b": [1], "a": "é"}, "/repo")
    assert json.loads(variables["DEVCTL_CONFIG"]) == {"b": [1], "a": "é"}
    assert variables["DEVCTL_SERVICES"] == "web-1 web_1"
    assert variables["DEVCTL_REPO_ROOT"] == "/repo"
    assert variables["DEVCTL_WEB_1_PORT"] == "1"
    assert len(warnings) == 1 and "'web-1' and 'web_1'" in warnings[0]


def test_needed_is_the_named_services_and_their_dependencies_in_order():
    services = [svc("db"), svc("cache"), svc("api", depends_on=["db"]), svc("web", depends_on=["api"])]
    assert [s["name"] for s in needed(services, ["web"])] == ["db", "api", "web"]
    assert [s["name"] for s in needed(services, [])] == ["db", "cache", "api", "web"]
    assert unknown_names(services, ["web", "nope"]) == ["nope"]


def record(spec, state="running"):
    health = spec["health"]
    return {"name": spec["name"], "state": state, "command": spec["command"], "cwd": spec["cwd"],
            "env": redact_env(spec["env"]), "depends_on": spec["depends_on"],
            "health": {"type": health["type"], "target": health.get("url") or health.get("address")}
            if health else None}


def test_reuse_when_every_planned_service_runs_with_the_same_spec():
    web = svc("web", env={"API_TOKEN": "s3cret"}, health={"type": "http", "url": "http://127.0.0.1:1/"})
    assert reuse_problem([web], [record(web, "healthy")]) is None


def test_no_reuse_when_missing_not_up_or_changed():
    web = svc("web", env={"A": "1"})
    assert "not running" in reuse_problem([web], [])
    assert "is failed" in reuse_problem([web], [record(web, "failed")])
    changed = svc("web", env={"A": "2"}, command=["y"])
    assert "another command, env" in reuse_problem([changed], [record(web)])
    healthier = svc("web", env={"A": "1"}, health={"type": "tcp", "address": "127.0.0.1:9"})
    assert "another health" in reuse_problem([healthier], [record(web)])
