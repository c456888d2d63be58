import subprocess
import sys

SCRIPT = """
import sys
from devctl.cli import fasthelp
fasthelp.defer()
import typer.rich_utils  # what `--help` imports
assert "markdown_it" not in sys.modules and "pygments" not in sys.modules, "not deferred"
import rich.markdown
md = rich.markdown.Markdown("# title")  # first real use loads the real module
assert type(md).__module__ == "rich.markdown" and "markdown_it" in sys.modules
assert rich.markdown.Heading is sys.modules["rich.markdown"].Heading
print("ok")
"""


def test_deferred_modules_load_on_first_real_use():
    res = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"


def test_only_help_invocations_defer():
    from devctl.cli.global_options import wants_help

    assert wants_help([]) and wants_help(["--help"]) and wants_help(["plan", "-h"])
    assert not wants_help(["plan", "--json"])


PINNED = """
import sys
from devctl.cli import fasthelp
fasthelp.defer()
import typer.rich_utils
for module, name in fasthelp._DEFERRED.items():
    assert isinstance(sys.modules[module], fasthelp._StandIn), module
    assert getattr(typer.rich_utils, name) is getattr(sys.modules[module], name), name
print("ok")
"""


def test_typer_still_imports_what_is_deferred():
    """What the deferral depends on: typer's help renderer imports these two names at module
    level (typer is pinned below 0.29 in pyproject.toml). If typer stops, the deferral is moot."""
    res = subprocess.run([sys.executable, "-c", PINNED], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"


HELP = """
import sys
from devctl.cli import fasthelp
if sys.argv[1] == "plain":
    fasthelp.defer = lambda: None
from devctl.cli.main import main
try:
    main(sys.argv[2:])
except SystemExit:
    pass
"""


def test_help_reads_the_same_with_and_without_the_deferral(tmp_path):
    import os

    env = dict(os.environ, NO_COLOR="1", COLUMNS="100", DEVCTL_NO_HELP_CACHE="1")  # render each time
    for argv in (["--help"], ["plan", "--help"], ["dotagent", "--help"]):
        shown = [subprocess.run([sys.executable, "-c", HELP, mode, *argv], capture_output=True, text=True,
                                env=env, cwd=tmp_path, timeout=60).stdout for mode in ("deferred", "plain")]
        assert shown[0] == shown[1] and "Usage" in shown[0], argv


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

    env = dict(os.environ, NO_COLOR="1", COLUMNS="100", DEVCTL_NO_HELP_CACHE="1")  # render each time
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
