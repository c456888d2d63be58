from devctl import __version__
from tests.cli import run_cli


def test_version_fast_path():
    res = run_cli("--version")
    assert res.returncode == 0
    assert __version__ in res.stdout and "devctl v1" in res.stdout


def test_help_lists_commands():
    res = run_cli("--help")
    assert res.returncode == 0
    assert "Usage" in res.stdout


def test_unknown_command_is_usage_error(tmp_path):
    res = run_cli("no-such-command-xyz", cwd=tmp_path)
    assert res.returncode == 2
