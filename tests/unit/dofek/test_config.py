"""dofek.toml: defaults, lookup order, and errors that name the file, line, table and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devctl.dofek.config import (
    DEFAULT_REFRESH_MS,
    DEFAULT_TIMEOUT_MS,
    find_config,
    load,
    load_found,
    locate,
    parse,
    user_config_dir,
)
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
        ("[general]\nrefresh_ms = 10\n", "dofek.toml:2: [general]: refresh_ms: must be between 50"),
        ("[general]\nhistory_len = 0\n", "[general]: history_len: must be between 1 and 10000 samples"),
        ("[general]\nhistory_len = 1.5\n", "history_len: must be a whole number of samples"),
        ("general = 3\n", "general: must be a table"),
        ("refresh_ms = 500\n[general]\nrefresh_ms = 700\n", "dofek.toml:1: refresh_ms: set twice"),
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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("refresh = 10\n", "dofek.toml:1: refresh: unknown key (did you mean 'refresh_ms'?); ignored"),
        (
            '[[plugins]]\nname = "a"\ncommand = "x"\ntimout_ms = 5\n',
            "dofek.toml:4: [[plugins]] #1 'a': timout_ms: unknown key (did you mean 'timeout_ms'?); ignored",
        ),
        ("[general]\nrefresh_ms = 500\nhistory = 3\n", "dofek.toml:3: [general]: history: unknown key"),
        ("[theme]\ncolour = 1\n", "dofek.toml: theme: unknown key"),
    ],
)
def test_unknown_keys_are_warnings_not_errors(text: str, expected: str) -> None:
    """Dofek ignores keys it does not know; devctl warns (naming file, line and key) and goes on."""
    cfg = parse(text, display="dofek.toml")
    assert [w for w in cfg.warnings if w.startswith(expected)], cfg.warnings


#: Shaped like the example Dofek ships (every section it documents), written for this test.
UPSTREAM_SHAPED = """\
# my dofek config
[general]
refresh_ms = 750
history_len = 30

[display]
show_temps = false
process_count = 5

[ai]
vram_threshold_gb = 2.5
known_ai_processes = ["llama-server"]

[categories]
dev_processes = ["make"]
watch_pids = [42]

[lhm]
url = "http://127.0.0.1:9999"

[telemetry]
enabled = false

[[plugins]]
name = "net"
command = "sh"
args = ["-c", "true"]
enabled = true
timeout_ms = 1500
"""


def test_an_upstream_shaped_config_is_accepted_as_is(tmp_path: Path) -> None:
    cfg = parse(UPSTREAM_SHAPED, base=tmp_path)
    assert (cfg.refresh_ms, cfg.history_len) == (750, 30)
    assert cfg.ignored == ("display", "ai", "categories", "lhm", "telemetry")
    assert cfg.warnings == ()
    (net,) = cfg.plugins
    assert (net.name, net.args, net.timeout_ms) == ("net", ("-c", "true"), 1500)
    # upstream's defaults when [general] is absent; devctl's top-level refresh_ms still works
    assert parse("[display]\n", base=tmp_path).history_len == 60
    assert parse("refresh_ms = 300\n", base=tmp_path).refresh_ms == 300


def test_dofek_tests_never_read_an_upstream_checkout() -> None:
    """Hermetic: the upstream sources are a reference for writing these tests, never an input,
    so the suite passes on a machine that has no copy of them."""
    tests = Path(__file__).resolve().parents[2]
    absolute_upstream = re.compile(r"""["'](/|~)[^"'\n]*/upstream\b""")
    for path in [*tests.rglob("*dofek*.py"), *(tests / "unit" / "dofek").glob("*.py")]:
        assert not absolute_upstream.search(path.read_text(encoding="utf-8")), path


def _user_env(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}


def test_user_config_dir_follows_dofek() -> None:
    assert user_config_dir({"HOME": "/h", "XDG_CONFIG_HOME": "/x"}, "linux") == Path("/x")
    assert user_config_dir({"HOME": "/h", "XDG_CONFIG_HOME": "rel"}, "linux") == Path("/h/.config")
    assert user_config_dir({"HOME": "/h"}, "linux") == Path("/h/.config")
    assert user_config_dir({"HOME": "/h", "XDG_CONFIG_HOME": "/x"}, "darwin") == Path(
        "/h/Library/Application Support")


def test_lookup_order(tmp_path: Path) -> None:
    env = _user_env(tmp_path)
    root, sub = tmp_path / "repo", tmp_path / "repo" / "sub"
    sub.mkdir(parents=True)
    with pytest.raises(ConfigError, match="no dofek.toml found") as info:
        find_config(None, sub, root, env)
    assert str(tmp_path / "xdg" / "dofek" / "dofek.toml") in " ".join(info.value.details)
    user = tmp_path / "xdg" / "dofek" / "dofek.toml"
    user.parent.mkdir(parents=True)
    user.write_text("")
    assert locate(None, sub, root, env) == (user, "user config dir")
    # without XDG_CONFIG_HOME: ~/.config
    home_file = tmp_path / "home" / ".config" / "dofek" / "dofek.toml"
    home_file.parent.mkdir(parents=True)
    home_file.write_text("")
    assert locate(None, sub, root, {"HOME": env["HOME"]}) == (home_file, "user config dir")
    (root / "dofek.toml").write_text("")
    assert locate(None, sub, root, env) == (root / "dofek.toml", "repo root")
    (sub / "dofek.toml").write_text("")
    assert locate(None, sub, root, env) == (sub / "dofek.toml", "current directory")
    other = tmp_path / "other.toml"
    other.write_text("")
    assert locate(Path("../../other.toml"), sub, root, env) == (sub / "../../other.toml", "--config")
    with pytest.raises(ConfigError, match="no such config file"):
        find_config(Path("missing.toml"), sub, root, env)


def test_managed_plugins_are_merged_and_found_in_the_plugins_dir(tmp_path: Path) -> None:
    env = _user_env(tmp_path)
    dofek_dir = tmp_path / "xdg" / "dofek"
    (dofek_dir / "plugins").mkdir(parents=True)
    binary = dofek_dir / "plugins" / "dofek-thing"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    (dofek_dir / "plugins.toml").write_text(
        '[[plugins]]\nname = "thing"\ncommand = "dofek-thing"\nargs = []\nenabled = true\n'
        'timeout_ms = 2000\ndescription = "d"\nversion = "1"\nauthor = "a"\n'
        '[[plugins]]\nname = "mine"\ncommand = "sh"\n')
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "dofek.toml").write_text('[[plugins]]\nname = "mine"\ncommand = "dofek-thing"\n')
    cfg = load_found(None, repo, repo, env)
    assert cfg.source == "current directory" and cfg.managed == dofek_dir / "plugins.toml"
    assert [(p.name, p.executable) for p in cfg.plugins] == [("mine", str(binary)), ("thing", str(binary))]
    assert any("'mine': a plugin of that name is already" in w for w in cfg.warnings)
    # no dofek.toml anywhere, but a managed plugins.toml: defaults plus those plugins, as Dofek does
    (repo / "dofek.toml").unlink()
    cfg = load_found(None, repo, repo, env)
    assert (cfg.source, cfg.path, [p.name for p in cfg.plugins]) == ("defaults", None, ["thing", "mine"])
    # a broken plugins.toml is a warning, never an error
    (dofek_dir / "plugins.toml").write_text("[[plugins]]\nname = 5\n")
    (repo / "dofek.toml").write_text("")
    cfg = load_found(None, repo, repo, env)
    assert cfg.plugins == () and "its plugins are skipped" in cfg.warnings[0]


def test_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "dofek.toml"
    path.write_text('[[plugins]]\nname = "a"\ncommand = 5\n')
    with pytest.raises(ConfigError) as info:
        load(path)
    assert (
        "dofek.toml:3: [[plugins]] #1 'a': command: must be a non-empty string, got integer 5"
        in info.value.message
    )
