"""dofek.toml: defaults, lookup order, and errors that name the file, line, table and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from devctl.dofek.config import DEFAULT_REFRESH_MS, DEFAULT_TIMEOUT_MS, find_config, load, parse
from devctl.errors import ConfigError

GOOD = """\
refresh_ms = 500

[[plugins]]
name = "alpha"
command = "plugins/alpha.py"
args = ["--x", "1"]

[[plugins]]
name = "beta"
command = "sh"
enabled = false
timeout_ms = 250
"""


def test_defaults_and_values(tmp_path: Path) -> None:
    cfg = parse(GOOD, base=tmp_path)
    assert cfg.refresh_ms == 500
    alpha, beta = cfg.plugins
    assert (alpha.name, alpha.args, alpha.enabled, alpha.timeout_ms) == (
        "alpha",
        ("--x", "1"),
        True,
        DEFAULT_TIMEOUT_MS,
    )
    # a path is relative to the config's directory; a bare name is looked up on PATH
    assert alpha.argv() == [str(tmp_path / "plugins/alpha.py"), "--x", "1"]
    assert Path(beta.executable).name == "sh" and Path(beta.executable).is_absolute()
    assert (beta.enabled, beta.timeout_ms) == (False, 250)
    assert [p.name for p in cfg.enabled] == ["alpha"]
    assert parse("", base=tmp_path).refresh_ms == DEFAULT_REFRESH_MS


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse(text, display="dofek.toml")
    assert info.value.exit_code == 2
    return info.value.message


def test_wrong_type_names_file_line_table_and_key() -> None:
    msg = _error(GOOD.replace("timeout_ms = 250", 'timeout_ms = "250ms"'))
    assert msg.startswith("dofek.toml:12: [[plugins]] #2 'beta': timeout_ms: ")
    assert "whole number of milliseconds" in msg and "250ms" in msg


def test_missing_key_points_at_the_section() -> None:
    msg = _error('[[plugins]]\nname = "a"\n\n[[plugins]]\nname = "b"\n')
    assert msg.startswith("dofek.toml:1: [[plugins]] #1 'a': command: missing")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("refresh_ms = 0\n", "dofek.toml:1: refresh_ms: must be between"),
        ("refresh_ms = true\n", "refresh_ms: must be a whole number"),
        ("refresh = 10\n", "refresh: unknown key (did you mean 'refresh_ms'?)"),
        (
            '[[plugins]]\nname = "a"\ncommand = "x"\ntimout_ms = 5\n',
            "dofek.toml:4: [[plugins]] #1 'a': timout_ms: unknown key (did you mean 'timeout_ms'?)",
        ),
        ('[[plugins]]\nname = "a"\ncommand = "x"\nargs = "--flag"\n', "args: must be an array of strings"),
        ('[[plugins]]\nname = "a"\ncommand = "x"\nenabled = "yes"\n', "enabled: must be true or false"),
        ('[[plugins]]\nname = "../etc"\ncommand = "x"\n', "name: invalid name '../etc'"),
        ('[[plugins]]\ncommand = "x"\n', "[[plugins]] #1: name: missing"),
        ('[[plugins]]\nname = "a"\ncommand = ""\n', "command: must be a non-empty string"),
        (
            '[[plugins]]\nname = "a"\ncommand = "x"\n[[plugins]]\nname = "a"\ncommand = "y"\n',
            "dofek.toml:5: [[plugins]] #2 'a': name: duplicate name 'a' (also used by [[plugins]] #1)",
        ),
        ("plugins = 3\n", "plugins: must be an array of tables"),
        ("refresh_ms = = 3\n", "dofek.toml: not valid TOML"),
    ],
)
def test_errors(text: str, expected: str) -> None:
    assert expected in _error(text)


def test_toml_syntax_error_has_a_line() -> None:
    assert "line 2" in _error("refresh_ms = 5\n[[plugins]\n")


def test_lookup_order(tmp_path: Path) -> None:
    root, sub = tmp_path / "repo", tmp_path / "repo" / "sub"
    sub.mkdir(parents=True)
    (root / "dofek.toml").write_text("")
    assert find_config(None, sub, root) == root / "dofek.toml"
    (sub / "dofek.toml").write_text("")
    assert find_config(None, sub, root) == sub / "dofek.toml"
    other = tmp_path / "other.toml"
    other.write_text("")
    assert find_config(Path("../../other.toml"), sub, root) == sub / "../../other.toml"
    with pytest.raises(ConfigError, match="no such config file"):
        find_config(Path("missing.toml"), sub, root)
    with pytest.raises(ConfigError, match="no dofek.toml found"):
        find_config(None, tmp_path, None)


def test_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "dofek.toml"
    path.write_text('[[plugins]]\nname = "a"\ncommand = 5\n')
    with pytest.raises(ConfigError) as info:
        load(path)
    assert (
        "dofek.toml:3: [[plugins]] #1 'a': command: must be a non-empty string, got integer 5"
        in info.value.message
    )
