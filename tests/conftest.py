"""Shared fixtures. The orphan check is autouse: every test proves it left no process behind.

Each test gets a unique `DEVCTL_TEST_TAG` in its environment. Every process it starts
(CLI, supervisor, plugins, services, grandchildren, even double-forked daemons) inherits
it, so after the test we can find survivors by reading process environments — no matter
how they re-parented or which process group they moved to.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.orphans import find_tagged, kill_tagged

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT / "testdata"


@pytest.fixture(autouse=True)
def no_orphans(monkeypatch: pytest.MonkeyPatch):
    tag = uuid.uuid4().hex
    monkeypatch.setenv("DEVCTL_TEST_TAG", tag)
    yield tag
    survivors = find_tagged(tag, wait=5.0)
    if survivors:
        kill_tagged(tag)
        pytest.fail(f"processes left behind by this test: {survivors}")


@pytest.fixture
def testdata() -> Path:
    return TESTDATA


@pytest.fixture
def python() -> str:
    return sys.executable


def pytest_addoption(parser: pytest.Parser) -> None:
    # Declared here (the root conftest) so `pytest --long` works from any directory; the
    # reliability suite (tests/reliability/budget.py) decides what "long" means.
    parser.addoption(
        "--long", action="store_true", default=False,
        help="run the heavy variants of the reliability suite (more cycles, kills, examples, load)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Hermetic: what devctl caches per user (the replayed `--help`, devctl/cli/help_cache.py) goes
    # to a directory of this run, never into the user's ~/.cache.
    cache_home = tempfile.mkdtemp(prefix="devctl-test-cache-")
    config.add_cleanup(lambda: shutil.rmtree(cache_home, ignore_errors=True))
    os.environ["XDG_CACHE_HOME"] = cache_home
    os.environ.setdefault("NO_COLOR", "1")
    os.environ.setdefault("COLUMNS", "200")
