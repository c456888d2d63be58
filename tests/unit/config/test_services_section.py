"""`services:` in `.devctl.yaml` as the loader reads it: structure and lines (meaning is checked
by the pipeline, tests/unit/pipeline/test_declared.py)."""

from pathlib import Path

import pytest

from devctl.config import load_config
from devctl.errors import ConfigError


@pytest.fixture(autouse=True)
def _in_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def load(tmp_path: Path, text: str):
    (tmp_path / ".devctl.yaml").write_text(text)
    return load_config(repo_root=tmp_path)


def test_values_and_lines(tmp_path: Path):
    cfg = load(tmp_path, """\
services:
  web:
    command: [python3, -m, http.server, 8080]
    env:
      PORT: 8080
      DEBUG: yes
    max_restarts: 3
    health: {type: tcp, address: "127.0.0.1:1"}
  worker:
    command: run it
""")
    assert cfg.plugins == []  # a repo with only services is a valid repo
    web, worker = cfg.services
    assert web.raw == {"command": ["python3", "-m", "http.server", "8080"],
                       "env": {"PORT": "8080", "DEBUG": "yes"}, "max_restarts": 3,
                       "health": {"type": "tcp", "address": "127.0.0.1:1"}}
    lines = [web.line_of(key) for key in ("env.DEBUG", "health.address", "command[3]")]
    assert (web.line, lines) == (2, [6, 8, 3])
    assert web.line_of("nothing.here") == 2 and worker.line_of("command[1]") == 10
    assert worker.raw == {"command": "run it"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("services: [web]\n", ".devctl.yaml:1: services: expected a mapping, got a list"),
        ("services:\n  web:\n", ".devctl.yaml:2: services.web: needs at least a 'command'"),
        ("services:\n  web: run\n", ".devctl.yaml:2: services.web: expected a mapping, got 'run'"),
        ("services:\n  a/b: {command: [x]}\n", ".devctl.yaml:2: services.a/b: "),
        ("services:\n  web: {command: [x], command: [y]}\n",
         ".devctl.yaml:2: services.web.command: duplicate key"),
        ("services:\n  web: &w {command: [x], env: *w}\n", ".devctl.yaml:2: services: refers to itself"),
    ],
)
def test_structure_problems_name_file_and_line(tmp_path: Path, text: str, message: str):
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    assert info.value.message.startswith(message), info.value.message


def test_empty_services_is_fine(tmp_path: Path):
    assert load(tmp_path, "services:\n").services == []
