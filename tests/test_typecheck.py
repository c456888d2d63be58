"""The typed packages stay type-correct: mypy runs on them, as a contributor would run it.

Which packages are checked, and with which options, is `[tool.mypy]` in pyproject.toml (the one
place); this test runs plain `mypy` from the repository root so it checks exactly that. Plans
travel from the validator to the supervisor as a `ServiceSpec` TypedDict: without a checker, those
annotations would be comments that nothing keeps true.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# A cold run reads textual's types too: ~20 s alone, several times that beside three test workers
# on a loaded 2-core box (110 s once ran out there); the bound only stops a hang.
@pytest.mark.timeout(330)
def test_mypy_clean(tmp_path):
    mypy = shutil.which("mypy") or str(Path(sys.executable).with_name("mypy"))
    if not Path(mypy).exists():
        pytest.skip("mypy is not installed (it comes with the test extra)")
    # A fresh cache dir: nothing is written into the checkout, and the run is the cold one CI sees.
    res = subprocess.run([mypy, "--cache-dir", str(tmp_path / "mypy-cache")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
