"""`devctl plugins new`: a working plugin, registered without disturbing .devctl.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import run_cli

CONFIG = """\
# Team config: keep this comment.
strictness: warn   # inline comment
plugins:
  # the existing plugin
  - id: other
    path: {python}
    args: [{fixture}]   # args comment
    priority: 10
# closing comment
"""


@pytest.fixture
def repo(tmp_path: Path, python: str, testdata: Path) -> Path:
    fixture = json.dumps(str(testdata / "plugins" / "cmd_echo.py"))
    (tmp_path / ".devctl.yaml").write_text(CONFIG.format(python=python, fixture=fixture))
    return tmp_path


def test_new_python_plugin_works_end_to_end(repo: Path):
    before = (repo / ".devctl.yaml").read_text()
    res = run_cli("plugins", "new", "demo", cwd=repo)
    assert res.returncode == 0, res.stderr
    assert "created plugins/demo.py" in res.stderr and "devctl plugins check demo" in res.stderr
    plugin = repo / "plugins" / "demo.py"
    assert plugin.stat().st_mode & 0o111
    after = (repo / ".devctl.yaml").read_text()
    # every original line survives, in order; the new entry follows the old one, comments stay last
    lines = after.splitlines()
    at = lines.index("  - id: demo")
    # Regression: it wrote this machine's venv interpreter path into the committed file.
    assert lines[at + 1] == "    path: devctl:python" and lines[at + 2] == "    args: [plugins/demo.py]"
    assert lines[:at] + lines[at + 3:] == before.splitlines()
    assert lines[at - 1] == "    priority: 10" and lines[-1] == "# closing comment"

    check = run_cli("plugins", "check", "demo", cwd=repo)
    assert check.returncode == 0, check.stdout
    plan = run_cli("plan", "--json", cwd=repo)
    assert plan.returncode == 0, plan.stderr
    assert json.loads(plan.stdout)["config"]["demo"] == {"greeting": "hello"}
    hello = run_cli("demo-hello", "bob", cwd=repo)
    assert hello.returncode == 0 and "hello, bob!" in hello.stderr
    failing = run_cli("demo-hello", "--fail", cwd=repo)
    assert failing.returncode == 1 and "E_HELLO" in failing.stderr


def test_new_bash_plugin_passes_check_and_runs(repo: Path):
    res = run_cli("plugins", "new", "shell-one", "--lang", "bash", cwd=repo)
    assert res.returncode == 0, res.stderr
    assert "  - id: shell-one\n    path: plugins/shell-one.sh\n" in (repo / ".devctl.yaml").read_text()
    check = run_cli("plugins", "check", "shell-one", cwd=repo)
    assert check.returncode == 0, check.stdout
    hello = run_cli("shell-one-hello", cwd=repo)
    assert hello.returncode == 0 and "hello from shell-one" in hello.stderr


def test_refuses_to_overwrite(repo: Path):
    assert run_cli("plugins", "new", "demo", cwd=repo).returncode == 0
    plugin = repo / "plugins" / "demo.py"
    plugin.write_text("# my edits\n")
    config = (repo / ".devctl.yaml").read_text()
    res = run_cli("plugins", "new", "demo", cwd=repo)
    assert res.returncode == 2 and "already exists" in res.stderr
    assert plugin.read_text() == "# my edits\n" and (repo / ".devctl.yaml").read_text() == config
    # an id already configured (here: the existing plugin) is refused too, and nothing is written
    res = run_cli("plugins", "new", "other", cwd=repo)
    assert res.returncode == 2
    assert ".devctl.yaml:5: a plugin with id 'other' is already configured" in res.stderr
    assert not (repo / "plugins" / "other.py").exists()


@pytest.mark.parametrize("args, message", [
    (["bad.name"], "invalid plugin name"),
    (["-x"], ""),
    (["ok", "--lang", "ruby"], "--lang 'ruby'"),
])
def test_bad_names_and_languages(repo: Path, args, message):
    res = run_cli("plugins", "new", *args, cwd=repo)
    assert res.returncode == 2 and message in res.stderr
    assert not (repo / "plugins").exists()


def test_creates_the_config_when_there_is_none(tmp_path: Path):
    res = run_cli("plugins", "new", "first", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    text = (tmp_path / ".devctl.yaml").read_text()
    assert text.startswith("# devctl configuration") and "  - id: first\n" in text
    assert run_cli("plugins", "check", "first", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("text, message", [
    ("plugins:\n  - id: [x\n", ".devctl.yaml:3: invalid YAML: "),
    ("# mine\nplugins: 3\n", ".devctl.yaml:2: plugins: expected a list to add a plugin to, got int"),
])
def test_a_config_it_cannot_extend_is_named_like_the_loader_names_it(tmp_path: Path, text, message):
    """Regression: these messages named the file by its absolute path and, for a `plugins:` that
    is not a list, gave no line; the loader says `.devctl.yaml:LINE: key: ...`."""
    (tmp_path / ".devctl.yaml").write_text(text)
    res = run_cli("plugins", "new", "demo", cwd=tmp_path)
    assert res.returncode == 2 and f"error: {message}" in res.stderr, res.stderr
    assert (tmp_path / ".devctl.yaml").read_text() == text and not (tmp_path / "plugins").exists()


def test_an_interpreter_without_devctl_is_named_with_the_fix(repo: Path, python: str):
    """Regression: an SDK plugin under an interpreter without devctl failed with a bare
    `ModuleNotFoundError` (here: this interpreter with no site-packages, `-S -I`)."""
    assert run_cli("plugins", "new", "demo", cwd=repo).returncode == 0
    config = repo / ".devctl.yaml"
    config.write_text(config.read_text().replace("path: devctl:python\n    args: [plugins/demo.py]",
                                                 f"path: {python}\n    args: [-S, -I, plugins/demo.py]"))
    res = run_cli("plan", cwd=repo)
    assert res.returncode == 1
    assert f"the interpreter {python} cannot import devctl.sdk" in res.stderr
    assert "path: devctl:python" in res.stderr
    check = run_cli("plugins", "check", "demo", cwd=repo)
    assert check.returncode == 1 and f"the interpreter {python} cannot import devctl.sdk" in check.stderr
