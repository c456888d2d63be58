"""The one restart backoff: its sequence, its cap, and how it counts."""

from __future__ import annotations

import pytest

from devctl.util.backoff import backoff_delay


def test_default_sequence_counts_restarts_from_one() -> None:
    assert [backoff_delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]


@pytest.mark.parametrize("restart", [0, -1, -100])
def test_counts_below_one_are_the_first_restart(restart: int) -> None:
    assert backoff_delay(restart) == 1.0


def test_huge_counts_stay_at_the_cap() -> None:
    assert backoff_delay(10_000) == 30.0


def test_base_and_cap_are_parameters() -> None:
    assert [backoff_delay(n, base=0.5, cap=3) for n in range(1, 6)] == [0.5, 1, 2, 3, 3]
    assert backoff_delay(1, base=5, cap=2) == 2.0  # the cap wins even over the base


def test_returns_floats() -> None:
    assert all(isinstance(backoff_delay(n), float) for n in range(0, 8))


def test_zero_base_means_no_wait() -> None:
    assert backoff_delay(3, base=0) == 0.0
