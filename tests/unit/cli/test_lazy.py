"""The CLI's lazy command table against the core's list of reserved built-in names."""

from devctl.cli.lazy import BUILTINS
from devctl.commands.names import BUILTIN_NAMES


def test_lazy_table_has_exactly_the_reserved_builtin_names_in_order():
    assert tuple(BUILTINS) == BUILTIN_NAMES


def test_each_summary_is_the_first_paragraph_of_the_commands_own_help():
    import inspect

    from devctl.cli.lazy import _load_builtin

    for name, spec in BUILTINS.items():
        cmd = _load_builtin(name, spec)
        own = inspect.cleandoc(cmd.short_help or cmd.help or "").split("\n\n")[0]
        assert spec.summary == own, f"BUILTINS[{name!r}].summary is out of date"


ROOT_HELP = """
import sys
from typer.core import TyperGroup
from devctl.cli.lazy import LazyGroup
if sys.argv[1] == "real":  # list the real commands, as before the summaries
    LazyGroup.format_help = TyperGroup.format_help
from devctl.cli.main import main
try:
    main(["--help"])
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m.startswith("devctl.cli.") and m.endswith(("_cmd", "_cmds")))
sys.stderr.write("LOADED " + " ".join(loaded))
"""


def _root_help(mode: str, cwd) -> tuple[str, str]:
    import os
    import subprocess
    import sys

    env = dict(os.environ, NO_COLOR="1", COLUMNS="100")
    res = subprocess.run([sys.executable, "-c", ROOT_HELP, mode], capture_output=True, text=True,
                         env=env, cwd=cwd, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout, res.stderr.rpartition("LOADED ")[2].strip()


def test_root_help_lists_from_summaries_without_importing_command_modules(tmp_path):
    fast, fast_loaded = _root_help("summaries", tmp_path)
    real, real_loaded = _root_help("real", tmp_path)
    assert fast == real
    assert fast_loaded == ""
    assert "devctl.cli.supervisor_cmds" in real_loaded
