"""Packaging: the sdist and the wheel build, hold what they should, and install a working CLI.

The wheel is built *from the sdist* (`pip wheel --no-deps`), which also proves the sdist is
complete. The install test does what `pipx install .` / `uv tool install .` do — a fresh
virtual environment with the wheel in it — and runs the `devctl` it got from outside the
checkout. (Dependencies come from this environment through a .pth file, so no network is
needed; the wheel itself is installed alone.)
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import devctl

ROOT = Path(__file__).resolve().parent.parent


def run(*cmd: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result


# What a checkout holds that is not source: the VCS, environments, caches, run-time state, and
# what a build leaves behind. None of it goes into the sdist (MANIFEST.in prunes the rest).
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "*.egg-info", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".hypothesis", ".devctl", ".data", "site", "build", "dist", "devctl-*",
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build from a private copy of the tree, not from the checkout itself.

    setuptools builds the sdist in `<tree>/devctl-<version>/` and removes it at the end, and writes
    `<tree>/devctl.egg-info`. Under xdist a module fixture runs once per worker, so two workers
    built in the checkout at once and one removed the other's release tree in mid-copy (a CI
    failure: "could not create 'devctl-0.1.0/./devctl/__init__.py'"). A copy per build also keeps
    those transient directories out of the tree that other tests walk. (`pip wheel` of a
    tree builds in it too, so the no-`build` path uses the copy as well.)
    """
    out = tmp_path_factory.mktemp("dist")
    tree = tmp_path_factory.mktemp("tree") / "devctl-src"
    shutil.copytree(ROOT, tree, ignore=NOT_SOURCE, symlinks=True)
    found: dict[str, Path] = {}
    source = str(tree)
    if importlib.util.find_spec("build") is not None:
        run(sys.executable, "-m", "build", "--sdist", "--outdir", str(out), str(tree))
        found["sdist"] = next(out.glob("devctl-*.tar.gz"))
        source = str(found["sdist"])
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), source)
    found["wheel"] = next(out.glob("devctl-*.whl"))
    return found


def test_wheel_holds_every_module_and_the_console_script(dist):
    with zipfile.ZipFile(dist["wheel"]) as whl:
        names = set(whl.namelist())
        info = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = whl.read(info).decode()
        metadata = whl.read(info.replace("entry_points.txt", "METADATA")).decode()
    source = {p.relative_to(ROOT).as_posix() for p in (ROOT / "devctl").rglob("*.py")}
    assert source - names == set(), "modules missing from the wheel"
    assert not {n for n in names if not n.startswith(("devctl/", f"devctl-{devctl.__version__}.dist-info/"))}
    assert "[console_scripts]" in entry_points
    assert "devctl = devctl.cli.main:main" in entry_points
    assert f"Version: {devctl.__version__}" in metadata
    assert "Requires-Python: >=3.11" in metadata


def test_sdist_holds_docs_examples_and_tests(dist):
    if "sdist" not in dist:
        pytest.skip("the `build` package is not installed (pip install -e '.[test]' brings it)")
    with tarfile.open(dist["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for needed in ("pyproject.toml", "README.md", "CHANGELOG.md", "mkdocs.yml", "docs/index.md",
                   "docs/hooks/cli_reference.py", "examples/quickstart/.devctl.yaml",
                   "examples/fullstack/plugins/fullstack.py", "tests/conftest.py", "tests/orphans.py",
                   "testdata/plugins/host_ok.py", "smoketests/conftest.py", "devctl/cli/main.py"):
        assert needed in names, needed
    leftovers = {n for n in names if "/.devctl/" in n or "/.data/" in n or "__pycache__" in n}
    assert leftovers == set(), "run-time state or bytecode in the sdist"


def test_installed_wheel_gives_a_working_devctl(dist, tmp_path: Path):
    venv = tmp_path / "tool-venv"
    run(sys.executable, "-m", "venv", "--without-pip", str(venv))
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
        str(dist["wheel"]))
    # Dependencies (typer, anyio, ...) from this environment; devctl itself only from the wheel.
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = run(str(python), "-c", code).stdout.strip()
    Path(purelib, "deps-from-test-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    where = run(str(python), "-c", "import devctl; print(devctl.__file__)", cwd=outside).stdout
    assert where.startswith(str(venv)), f"devctl imported from {where}, not from the installed wheel"

    exe = str(venv / "bin" / "devctl")
    version = run(exe, "--version", cwd=outside).stdout
    assert version.startswith(f"devctl {devctl.__version__} (protocols: devctl v1")
    assert "Services" in run(exe, "--help", cwd=outside).stdout

    repo = tmp_path / "quickstart"
    shutil.copytree(ROOT / "examples" / "quickstart", repo,
                    ignore=shutil.ignore_patterns(".devctl", ".data", "__pycache__"))
    env_ok = {**os.environ, "NO_COLOR": "1"}
    plan = subprocess.run([exe, "-C", str(repo), "plan", "--json"], cwd=outside, env=env_ok,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert plan.returncode == 0, plan.stderr
    assert '"name": "worker"' in plan.stdout
