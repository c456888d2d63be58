"""devctl/config/cache.py: a parsed config is reused only while nothing it rests on changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devctl.config import cache, load_config, loader
from devctl.errors import ConfigError

CONFIG = """\
strictness: error
plugins:
  - id: tool
    path: ./tools/plug
    args: [x, "1"]
    env: {A: b}
    priority: 5
  - id: off
    path: nowhere-to-be-found
    enabled: false
services:
  web:
    command: [sleep, 5]
    env: {PORT: 8080}
preflight:
  - plugin: checks
    config: {min: 3}
"""


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    executable(tmp_path / "tools" / "plug")
    (tmp_path / ".devctl.yaml").write_text(CONFIG)
    return tmp_path


@pytest.fixture
def parses(monkeypatch):
    """How many times the YAML parser ran."""
    count = [0]
    real = loader.parse_file

    def counting(path, root):
        count[0] += 1
        return real(path, root)

    monkeypatch.setattr(loader, "parse_file", counting)
    return count


def test_an_unchanged_config_is_not_parsed_again_and_reads_the_same(repo, parses):
    first = load_config()
    assert parses[0] == 1 and cache.cache_path(repo.resolve()).is_file()
    second = load_config()
    assert parses[0] == 1
    assert second == first  # every field: plugins (resolved, disabled kept), services, preflight...
    assert [p.id for p in second.plugins] == ["tool"] and second.strictness == "error"
    assert first.services[0].file == ".devctl.yaml"
    os.chdir(repo / "tools")  # messages name the file as seen from where devctl runs
    assert load_config().services[0].file == str(repo / ".devctl.yaml")
    assert parses[0] == 1


def test_an_edit_is_parsed_again_and_its_problem_named_with_file_and_line(repo, parses):
    load_config()
    (repo / ".devctl.yaml").write_text(CONFIG.replace("priority: 5", "priority: high"))
    with pytest.raises(ConfigError) as info:
        load_config()
    assert ".devctl.yaml:7: plugins[0].priority: expected an integer, got 'high'" in info.value.message
    assert parses[0] == 2


def test_a_plugin_path_that_resolves_differently_is_parsed_again(repo, parses, monkeypatch):
    (repo / ".devctl.yaml").write_text(CONFIG.replace("./tools/plug", "plug"))
    monkeypatch.setenv("PATH", f"{repo / 'tools'}{os.pathsep}{os.environ['PATH']}")
    assert load_config().plugins[0].executable == str(repo / "tools" / "plug")
    load_config()
    assert parses[0] == 1
    other = executable(repo / "bin" / "plug")
    monkeypatch.setenv("PATH", f"{other.parent}{os.pathsep}{os.environ['PATH']}")  # PATH changed
    assert load_config().plugins[0].executable == str(other)
    assert parses[0] == 2
    other.unlink()  # same PATH, but the file it resolved to is gone
    assert load_config().plugins[0].executable == str(repo / "tools" / "plug")
    (repo / "tools" / "plug").unlink()  # and now none is left: the parser says so
    with pytest.raises(ConfigError) as info:
        load_config()
    assert "'plug' not found on PATH" in info.value.message and parses[0] == 4


def test_data_json_cannot_carry_is_never_cached_and_a_broken_cache_is_ignored(repo, parses):
    (repo / ".devctl.yaml").write_text(CONFIG.replace("{min: 3}", "{since: 2024-01-01}"))
    load_config()
    assert not cache.cache_path(repo.resolve()).exists()  # a date would come back as a string
    (repo / ".devctl.yaml").write_text(CONFIG)
    load_config()
    cache.cache_path(repo.resolve()).write_text('{"key": {"version": 1}, "config": [')
    assert load_config().plugins[0].id == "tool"
    assert parses[0] == 3


def test_an_unusable_state_dir_only_costs_the_parse(repo, parses):
    (repo / ".devctl").write_text("a file in the way")
    assert load_config().plugins[0].id == "tool"
    assert load_config().plugins[0].id == "tool"
    assert parses[0] == 2


def test_another_interpreter_path_reuses_the_parse_and_devctl_python_follows_it(repo, parses, monkeypatch):
    """The `devctl` script runs as `.venv/bin/python3`, `python -m devctl` as `.venv/bin/python`:
    switching between them must not parse again, and a `devctl:python` plugin runs on the
    interpreter running now, as a fresh parse would say."""
    import sys

    (repo / ".devctl.yaml").write_text(CONFIG.replace("path: ./tools/plug", "path: devctl:python"))
    assert load_config().plugins[0].executable == sys.executable
    monkeypatch.setattr(sys, "executable", str(repo / "venv" / "bin" / "python3"))
    again = load_config()
    assert parses[0] == 1
    assert again.plugins[0].executable == str(repo / "venv" / "bin" / "python3")
    assert again.plugins[0].argv()[0] == sys.executable
