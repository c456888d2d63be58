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


def test_command_lists_show_one_line_per_command(tmp_path):
    """A command's summary in a help list is its docstring's first paragraph, kept as written:
    a hard line break there shows up as a ragged second line, even on a wide terminal."""
    for group in ((), ("plugins",), ("dofek",), ("dotagent",)):
        res = run_cli(*group, "--help", cwd=tmp_path)
        assert res.returncode == 0
        commands = res.stdout.split("Commands")[-1] if group else res.stdout
        ragged = [ln for ln in commands.splitlines() if ln.startswith("│" + " " * 10)]
        assert not ragged, (group, ragged)
