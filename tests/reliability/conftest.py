"""The reliability suite's switches: `--long` (declared in tests/conftest.py) picks the heavy budget."""

from __future__ import annotations

import pytest

from tests.reliability import budget as _budget


def pytest_configure(config: pytest.Config) -> None:
    _budget.use(bool(config.getoption("--long", default=False)))


@pytest.fixture(scope="session")
def budget() -> _budget.Budget:
    return _budget.current
