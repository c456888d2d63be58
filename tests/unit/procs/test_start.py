"""A child's environment: base, overlay, then PYTHONUNBUFFERED=1 unless it is a user's job."""

from __future__ import annotations

import os

from devctl.procs.start import child_env


def test_ours_then_the_overlay_then_unbuffered() -> None:
    env = child_env({"A": "1", "PYTHONUNBUFFERED": "0"})
    assert env["A"] == "1" and env["PYTHONUNBUFFERED"] == "1"
    assert env["PATH"] == os.environ["PATH"]


def test_a_given_base_replaces_ours() -> None:
    assert child_env(base={"B": "2"}) == {"B": "2", "PYTHONUNBUFFERED": "1"}


def test_a_users_job_gets_its_environment_exactly() -> None:
    base = {"B": "2"}
    env = child_env(base=base, unbuffered=False)
    assert env == base and env is not base
