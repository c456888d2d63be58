"""`.devctl.yaml` services: interpolation, the merge with plugins' plans, errors with file:line.

Pure: the config is read from a temporary file, and the plugins of the merge tests are stand-ins
answering launch.plan from a dict (no process starts)."""

from pathlib import Path
from typing import Any

import pytest

from devctl.config import load_config
from devctl.errors import ConfigError, OperationFailed
from devctl.pipeline import PipelineOptions, declared
from devctl.pipeline.declared import expand, lookup
from devctl.pipeline.runner import _phase, _Run

CONFIG = {"web": {"port": 8080, "host": "127.0.0.1", "debug": True}, "hosts": ["a", "b"], "name": "x"}


@pytest.fixture(autouse=True)
def _in_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # messages name files relative to the current directory


def write(tmp_path: Path, text: str) -> Any:
    (tmp_path / ".devctl.yaml").write_text(text)
    return load_config(repo_root=tmp_path)


def plan(tmp_path: Path, text: str, config: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return [dict(s) for s in declared.plan(write(tmp_path, text), CONFIG if config is None else config)]


# -- interpolation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("${config.web.port}", 8080),  # a whole reference keeps its type
        ("${ config.web.debug }", True),
        ("${config.web}", {"port": 8080, "host": "127.0.0.1", "debug": True}),
        ("${config.hosts.1}", "b"),
        ("http://${config.web.host}:${config.web.port}/", "http://127.0.0.1:8080/"),
        ("debug=${config.web.debug}", "debug=true"),  # inside text: JSON
        ("hosts=${config.hosts}", 'hosts=["a","b"]'),
        ("$${config.web.port}", "${config.web.port}"),  # the escape
        ("$$${config.name}", "$$x"[:1] + "${config.name}"),  # `$` then the escape
        ("cost: $5, ${config.name}$", "cost: $5, x$"),  # a lone `$` is just a `$`
        ("no references", "no references"),
    ],
)
def test_expand(text: str, value: Any):
    assert expand(text, CONFIG) == value


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("${config.web.prot}", "no key 'config.web.prot' (config.web has: debug, host, port)"),
        ("${config.hosts.5}", "config.hosts is a list of 2 item(s)"),
        ("${config.name.x}", 'config.name is "x", not an object'),
        ("${env.HOME}", "a reference reads the merged config"),
        ("${config}", "a reference reads the merged config"),
        ("a ${config.name", "is never closed"),
    ],
)
def test_expand_errors(text: str, fragment: str):
    with pytest.raises(KeyError) as info:
        expand(text, CONFIG)
    assert fragment in info.value.args[0]


def test_an_empty_config_says_so():
    with pytest.raises(KeyError, match="the merged config is empty"):
        lookup("config.web.port", {})


# -- declared services, checked --------------------------------------------------------------


def test_declared_services_use_the_config_and_plain_yaml(tmp_path: Path):
    services = plan(tmp_path, """\
services:
  web:
    command: python3 -m http.server ${config.web.port} --bind "${config.web.host}"
    env: {PORT: "${config.web.port}", DEBUG: yes, RAW: "$${HOME}", N: 3}
    health: {type: http, url: "http://127.0.0.1:${config.web.port}/", timeout_ms: 5000}
    max_restarts: ${config.web.port}
    depends_on: [db]
  db:
    command: [sleep, 30]
    cwd: sub
""")
    web, db = services
    assert web["command"] == ["python3", "-m", "http.server", "8080", "--bind", "127.0.0.1"]
    assert web["env"] == {"PORT": "8080", "DEBUG": "yes", "RAW": "${HOME}", "N": "3"}
    health = {"type": "http", "url": "http://127.0.0.1:8080/", "timeout_ms": 5000}  # + the probe defaults
    assert web["health"].items() >= health.items()
    assert web["max_restarts"] == 8080 and web["plugin"] == ".devctl.yaml"
    assert db["command"] == ["sleep", "30"] and db["cwd"] == str(tmp_path / "sub")


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("    health: {type: tcp,\n      address: 5}\n", 5,
         "services.web.health.address: health.address must be"),
        ("    comand: [x]\n", 4, "services.web.comand: unknown key (did you mean 'command'?)"),
        ("    name: other\n", 4, "services.web.name: unknown key"),
        ("    max_restarts: lots\n", 4, "services.web.max_restarts: 'max_restarts' must be an integer"),
        ("    env:\n      A: ok\n      B: [1]\n", 6, "services.web.env.B: env['B'] must be a string"),
        ("    restart: sometimes\n", 4, "services.web.restart: 'restart' must be one of"),
        ("    cwd: ${config.web.prot}\n", 4, "services.web.cwd: ${config.web.prot}: the merged config has "
         "no key 'config.web.prot'"),
        ("    env: {X: 'a ${config.nope}'}\n", 4, "services.web.env.X: ${config.nope}"),
        ("    depends_on: [db]\n", 4, "services.web.depends_on[0]: 'db' is not a planned service"),
        ("    env_file: missing.env\n", 4, "services.web.env_file: env_file 'missing.env' does not exist"),
        ("    user: no-such-user-here\n", 4, "services.web.user: 'user': no such user 'no-such-user-here'"),
    ],
)
def test_errors_name_the_file_line_and_key(tmp_path: Path, body: str, line: int, message: str):
    text = "services:\n  web:\n    command: [sleep, '1']\n" + body
    cfg = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        services = declared.plan(cfg, CONFIG)
        declared.check_dependencies(services, cfg)
    assert info.value.message.startswith(f".devctl.yaml:{line}: {message}"), info.value.message


def test_a_reference_in_a_command_string_names_the_command_line(tmp_path: Path):
    cfg = write(tmp_path, "services:\n  web:\n\n    command: serve ${config.port}\n")
    where = r"^\.devctl\.yaml:4: services\.web\.command\[1\]: \$\{config\.port\}"
    with pytest.raises(ConfigError, match=where):
        declared.plan(cfg, {})


def test_a_missing_command_names_the_service(tmp_path: Path):
    cfg = write(tmp_path, "services:\n  web:\n    cwd: .\n")
    with pytest.raises(ConfigError, match=r"^\.devctl\.yaml:2: services\.web: missing 'command'"):
        declared.plan(cfg, {})


# -- the merge with plugins' plans -------------------------------------------------------------


class FakePlugin:
    """Answers launch.plan from a dict, like a plugin would (no process)."""

    def __init__(self, plugin_id: str, services: list[dict[str, Any]]):
        self.spec = type("Spec", (), {"id": plugin_id})()
        self.services = services

    def supports(self, op: str) -> bool:
        return op == "launch.plan"

    def request(self, op: str, input: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {"services": self.services}

    def stderr_tail(self) -> list[str]:
        return []


def merge(tmp_path: Path, plugins: list[FakePlugin], strict: bool = False) -> Any:
    cfg = write(tmp_path, "services:\n  web:\n    command: [web, '${config.web.port}']\n"
                          "  worker:\n    command: [work]\n")
    run = _Run(cfg, PipelineOptions(strict=strict))
    run.config = CONFIG
    _phase("launch.plan", plugins, run)
    return run.result()


def test_declared_services_come_first_and_plugins_add_and_override(tmp_path: Path):
    result = merge(tmp_path, [FakePlugin("p", [
        {"name": "db", "command": ["db"]},
        {"name": "worker", "command": ["better-worker"], "depends_on": ["web", "db"]},
    ])])
    assert [(s["name"], s["plugin"], s["command"][0]) for s in result.services] == [
        ("web", ".devctl.yaml", "web"), ("worker", "p", "better-worker"), ("db", "p", "db")]
    assert result.services[0]["command"] == ["web", "8080"]
    assert result.notes == ["service 'worker' is returned by plugin '.devctl.yaml' and plugin 'p'; "
                            "the one from 'p' wins"]


def test_in_strict_mode_a_plugin_may_not_replace_a_declared_service(tmp_path: Path):
    who = "service 'worker' is returned by plugin '.devctl.yaml' and plugin 'p'"
    with pytest.raises(OperationFailed, match=who):
        merge(tmp_path, [FakePlugin("p", [{"name": "worker", "command": ["w"]}])], strict=True)


def test_a_declared_service_may_depend_on_a_plugins_service(tmp_path: Path):
    cfg = write(tmp_path, "services:\n  web:\n    command: [web]\n    depends_on: [db]\n")
    run = _Run(cfg, PipelineOptions())
    _phase("launch.plan", [FakePlugin("p", [{"name": "db", "command": ["db"]}])], run)
    assert [s["name"] for s in run.result().services] == ["web", "db"]


def test_the_allowed_keys_are_the_plan_fields(tmp_path: Path):
    from devctl.pipeline.services import (
        SERVICE_KEYS,  # = ServiceSpec's keys (tests/unit/test_runtime_shapes.py)
    )

    assert set(declared.fields()) == (set(SERVICE_KEYS) - {"name", "plugin"}) | {"env_file"}


def test_command_items_stay_text_at_any_depth():
    """A health check's own `command` (an exec probe) gets `8080` as text, like the service's."""
    from devctl.config.services_section import DeclaredService

    svc = DeclaredService(name="db", raw={}, file=".devctl.yaml", line=1)
    port = "${config.web.port}"
    health = {"type": "exec", "command": ["pg_isready", "-p", port], "port": port}
    assert declared._expand(health, "health", svc, CONFIG) == {
        "type": "exec", "command": ["pg_isready", "-p", "8080"], "port": 8080}
