"""The docs site builds with warnings as errors, and its CLI reference covers every command.

`mkdocs build --strict` fails on a broken link or anchor, a page missing from the nav, or a
missing snippet, so this test is what keeps the docs honest in CI. The CLI reference page is
generated from the typer app at build time (docs/hooks/cli_reference.py); checking it here
proves the hook ran and no built-in command was left out.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
    reason="mkdocs / mkdocs-material are not installed (pip install -e '.[test]' brings them)",
)


def builtin_command_paths() -> list[str]:
    """`up`, `plugins list`, `dofek run`, ...: every built-in command and sub-command."""
    import typer

    from devctl.cli.lazy import BUILTINS, _load_builtin

    paths = []
    for name, spec in BUILTINS.items():
        cmd = _load_builtin(name, spec)
        assert cmd is not None, f"built-in {name!r} does not load"
        paths.append(name)
        if hasattr(cmd, "list_commands"):
            ctx = typer.Context(cmd, info_name=name)
            paths += [f"{name} {sub}" for sub in cmd.list_commands(ctx)
                      if not cmd.get_command(ctx, sub).hidden]
    return paths


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    return out


def test_docs_build_strict(site: Path):
    # Strict also fails on a page left out of the nav (mkdocs.yml: validation.omitted_files).
    assert (site / "index.html").is_file()
    for page in ("getting-started", "configuration", "schema", "cli", "cli-reference", "protocol",
                 "dofek", "dotagent", "troubleshooting", "performance", "plugin-authoring"):
        assert (site / page / "index.html").is_file(), page


def test_every_code_block_is_rendered(site: Path):
    # A fence whose info string Markdown cannot read comes out as text with its backticks.
    broken = [p.relative_to(site).as_posix() for p in site.rglob("*.html") if "```" in p.read_text()]
    assert broken == [], f"unrendered code fences in {broken}"


def test_cli_reference_lists_every_builtin_command(site: Path):
    html = (site / "cli-reference" / "index.html").read_text()
    assert "devctl-cli-reference" not in html, "the hook did not replace the marker"
    ids = set(re.findall(r'<h[2-4] id="([^"]+)"', html))
    missing = [p for p in builtin_command_paths() if "devctl-" + p.replace(" ", "-") not in ids]
    assert missing == [], f"commands missing from the CLI reference: {missing}"


def test_cli_reference_shows_options_from_the_code(site: Path):
    html = (site / "cli-reference" / "index.html").read_text()
    # A sample of options users rely on, straight from the typer declarations.
    for flag in ("--repo-root", "--json", "--follow", "--output", "--strict"):
        assert flag in html, flag
