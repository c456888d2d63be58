import os
import sys
from pathlib import Path

import pytest

from devctl.config import find_repo_root, load_config
from devctl.errors import ConfigError


def write(root: Path, text: str, name: str = ".devctl.yaml") -> Path:
    path = root / name
    path.write_text(text)
    return path


def executable(path: Path, body: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(0o755)
    return path


def error_of(**kwargs) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(**kwargs)
    return info.value


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_root_is_found_in_a_parent_like_git(repo):
    write(repo, "plugins: []\n")
    deep = repo / "a" / "b"
    deep.mkdir(parents=True)
    assert find_repo_root(deep) == repo.resolve()
    os.chdir(deep)
    assert load_config().repo_root == repo.resolve()


def test_defaults_order_and_text_values(repo):
    executable(repo / "tools" / "plug")
    write(repo, f"""\
plugins:
  - id: zeta
    path: {Path(sys.executable).name}
    args: [script.py, 8080]
    env: {{PORT: 8080, NAME: x}}
  - id: alpha
    path: ./tools/plug
    priority: 5
  - id: beta
    path: tools/plug
""")
    cfg = load_config()
    assert [p.id for p in cfg.plugins] == ["beta", "zeta", "alpha"]  # (priority, id)
    zeta = cfg.plugin("zeta")
    assert zeta.args == ["script.py", "8080"] and zeta.env == {"PORT": "8080", "NAME": "x"}
    assert zeta.priority == 0 and zeta.enabled and zeta.workdir == repo.resolve()
    assert zeta.line == 2 and zeta.source == "config"
    assert os.path.isabs(zeta.executable) and zeta.argv()[1:] == ["script.py", "8080"]
    assert cfg.plugin("alpha").executable == str(repo.resolve() / "tools" / "plug")
    assert cfg.strictness == "warn" and cfg.path == (repo / ".devctl.yaml").resolve()


def test_wrong_type_names_file_line_and_key_path(repo):
    write(repo, """\
plugins:
  - id: a
    path: sh
  - id: b
    path: sh

    priority: high
""")
    assert error_of().message == ".devctl.yaml:7: plugins[1].priority: expected an integer, got 'high'"


def test_unknown_key_suggests_nearest(repo):
    write(repo, "plugins:\n  - id: a\n    path: sh\n    prority: 3\nstrictnes: warn\n")
    err = error_of()
    assert err.message == ".devctl.yaml:4: plugins[0].prority: unknown key (did you mean 'priority'?)"
    assert err.details == [".devctl.yaml:5: strictnes: unknown key (did you mean 'strictness'?)"]


def test_unknown_key_without_near_match_lists_known(repo):
    write(repo, "zzz: 1\n")
    assert "known keys: plugins, strictness" in error_of().message


def test_duplicate_missing_and_yaml_duplicate_keys(repo):
    write(repo, """\
plugins:
  - id: a
    path: sh
  - id: a
    path: sh
  - path: sh
  - id: c
strictness: warn
strictness: error
""")
    err = error_of()
    lines = [err.message, *err.details]
    assert ".devctl.yaml:4: plugins[1].id: duplicate id 'a' (first used on line 2)" in lines
    assert ".devctl.yaml:6: plugins[2]: missing 'id'" in lines
    assert ".devctl.yaml:7: plugins[3]: missing 'path'" in lines
    assert ".devctl.yaml:9: strictness: duplicate key (first set on line 8)" in lines


def test_malformed_yaml_names_its_line(repo):
    write(repo, "plugins:\n  - id: a\n    path: sh\n   bad: [\n")
    err = error_of()
    assert err.message.startswith(".devctl.yaml:4: invalid YAML:")


def test_top_level_must_be_a_mapping(repo):
    write(repo, "- a\n- b\n")
    assert error_of().message == ".devctl.yaml:1: expected a mapping, got a list"


def test_path_rules(repo):
    (repo / "plugins").mkdir()
    (repo / "plugins" / "plain.py").write_text("print()\n")
    write(repo, "plugins:\n  - id: a\n    path: plugins/plain.py\n")
    assert "is not executable: chmod +x it, or run it through an interpreter" in error_of().message
    write(repo, "plugins:\n  - id: a\n    path: ./nope/plug\n")
    assert error_of().message.startswith(".devctl.yaml:3: plugins[0].path: './nope/plug' does not exist")
    write(repo, "plugins:\n  - id: a\n    path: no-such-binary-xyz\n")
    assert "'no-such-binary-xyz' not found on PATH" in error_of().message
    # Through an interpreter the script need not be executable.
    write(repo, f"plugins:\n  - id: a\n    path: {sys.executable}\n    args: [plugins/plain.py]\n")
    assert load_config().plugins[0].argv() == [sys.executable, "plugins/plain.py"]


def test_bare_name_uses_plugin_env_path(repo):
    executable(repo / "bin" / "myplug")
    write(repo, f"plugins:\n  - id: a\n    path: myplug\n    env: {{PATH: {repo / 'bin'}}}\n")
    assert load_config().plugins[0].executable == str(repo / "bin" / "myplug")


def test_workdir_relative_to_root_and_must_exist(repo):
    (repo / "sub").mkdir()
    write(repo, "plugins:\n  - id: a\n    path: sh\n    workdir: sub\n")
    assert load_config().plugins[0].workdir == repo.resolve() / "sub"
    write(repo, "plugins:\n  - id: a\n    path: sh\n    workdir: missing\n")
    assert "plugins[0].workdir: 'missing' is not a directory" in error_of().message


def test_disabled_plugins_are_kept_aside_and_not_resolved(repo):
    write(repo, "plugins:\n  - id: off\n    path: ./not/there\n    enabled: false\n"
                "  - id: on\n    path: sh\n")
    cfg = load_config()
    assert [p.id for p in cfg.plugins] == ["on"]
    assert [p.id for p in cfg.all_plugins] == ["off", "on"]
    write(repo, "plugins:\n  - id: off\n    path: sh\n    enabled: nope\n")
    assert "plugins[0].enabled: expected true or false, got 'nope'" in error_of().message


def test_discovery_of_plugins_devctl_star(repo):
    executable(repo / "plugins" / "devctl-found")
    executable(repo / "plugins" / "devctl-mine")
    (repo / "plugins" / "devctl-notexec").write_text("x")
    executable(repo / "plugins" / "other")
    write(repo, "plugins:\n  - id: mine\n    path: sh\n")
    cfg = load_config()
    assert [(p.id, p.source, p.priority) for p in cfg.plugins] == [
        ("mine", "config", 0),
        ("found", "discovered", 1000),
    ]
    assert cfg.plugin("found").path == "plugins/devctl-found"


def test_discovery_alone_needs_no_config(repo):
    executable(repo / "plugins" / "devctl-solo")
    cfg = load_config()
    assert cfg.path is None and [p.id for p in cfg.plugins] == ["solo"]


def test_nothing_found_says_where_it_looked(repo):
    deep = repo / "x"
    deep.mkdir()
    os.chdir(deep)
    err = error_of()
    assert err.message.startswith("no .devctl.yaml found in ")
    assert f"looked for {deep.resolve() / '.devctl.yaml'}" in err.details
    assert f"looked for {repo.resolve() / '.devctl.yaml'}" in err.details


def test_repo_root_option_and_relative_config(repo, tmp_path_factory):
    other = tmp_path_factory.mktemp("elsewhere")
    (other / "conf").mkdir()
    write(other / "conf", "strictness: error\n", name="alt.yaml")
    cfg = load_config(repo_root=other, config_file=Path("conf/alt.yaml"))
    assert cfg.repo_root == other.resolve() and cfg.strictness == "error"
    err = error_of(repo_root=other, config_file=Path("missing.yaml"))
    assert "--config missing.yaml: no such file" in err.message
    err = error_of(repo_root=other)
    assert err.message == f"no .devctl.yaml found in {other.resolve()}"


def test_strictness_values(repo):
    write(repo, "strictness: strict\n")
    assert error_of().message == ".devctl.yaml:1: strictness: expected 'warn' or 'error', got 'strict'"


def test_preflight_and_notifiers(repo):
    write(repo, """\
preflight:
  - plugin: check-tools
    config: {tools: [git]}
    timeout_s: 5
notifiers:
  - plugin: notify-log
    config: {path: x.log}
    events: [attempt_failed, recovered]
""")
    cfg = load_config(repo_root=repo)
    assert cfg.preflight == [{"plugin": "check-tools", "config": {"tools": ["git"]}, "timeout_s": 5.0}]
    assert cfg.notifiers == [
        {"plugin": "notify-log", "config": {"path": "x.log"}, "events": ["attempt_failed", "recovered"]}
    ]
    write(repo, "preflight:\n  - config: {}\n    timeout: 3\nnotifiers: {}\n")
    err = error_of(repo_root=repo)
    lines = [err.message, *err.details]
    assert ".devctl.yaml:3: preflight[0].timeout: unknown key (did you mean 'timeout_s'?)" in lines
    assert ".devctl.yaml:2: preflight[0]: missing 'plugin'" in lines
    assert ".devctl.yaml:4: notifiers: expected a list, got a mapping" in lines


def test_empty_file_is_a_valid_config(repo):
    write(repo, "")
    cfg = load_config()
    assert cfg.plugins == [] and cfg.path is not None


@pytest.mark.parametrize("text", ["plugins:\n\t- id: a\n", "plugins:\n  - id: a\n\tpath: sh\n"])
def test_a_tab_in_the_indentation_is_named(repo, text):
    """Regression: the YAML error said "found character that cannot start any token" and never
    mentioned the tab that caused it."""
    write(repo, text)
    err = error_of()
    assert err.message.startswith(".devctl.yaml:2: invalid YAML:") or err.message.startswith(
        ".devctl.yaml:3: invalid YAML:")
    assert "tab" in err.message and "spaces" in err.message


@pytest.mark.parametrize(("name", "interpreter"), [("plug.sh", "bash"), ("plug.py", "python3"),
                                                   ("plug", "python3")])
def test_non_executable_hint_suggests_the_interpreter_matching_the_file(repo, name, interpreter):
    """Regression: a non-executable `.sh` plugin was told to run through python3."""
    (repo / "plugins").mkdir()
    (repo / "plugins" / name).write_text("echo\n")
    write(repo, f"plugins:\n  - id: a\n    path: plugins/{name}\n")
    assert f"(path: {interpreter}, args: [plugins/{name}])" in error_of().message
