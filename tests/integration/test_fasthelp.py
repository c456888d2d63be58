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
    from devctl.cli.fasthelp import wants_help

    assert wants_help([]) and wants_help(["--help"]) and wants_help(["plan", "-h"])
    assert not wants_help(["plan", "--json"])
