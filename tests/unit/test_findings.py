"""The one finding type every checker reports with, and its one JSON shape."""

from __future__ import annotations

import pytest

from devctl.findings import ERROR, WARNING, Finding, has_errors


def test_a_finding_without_a_place_keeps_the_dofek_check_shape() -> None:
    f = Finding(ERROR, "no reply", code="no-reply", fix="answer it")
    assert f.to_json() == {"severity": "error", "code": "no-reply", "message": "no reply", "fix": "answer it"}


def test_a_finding_with_a_place_adds_plugin_where_and_details() -> None:
    f = Finding(WARNING, "validate: slow", plugin="notify-log", where="agent.toml [[notifiers]] #1",
                details=["a", "b"])
    assert f.to_json() == {"severity": "warning", "code": "", "message": "validate: slow", "fix": "",
                           "plugin": "notify-log", "where": "agent.toml [[notifiers]] #1",
                           "details": ["a", "b"]}
    assert f.details == ("a", "b")  # stored immutably, whatever sequence was given


def test_severity_is_checked() -> None:
    with pytest.raises(ValueError, match="severity"):
        Finding("fatal", "x")


def test_errors_are_counted_the_same_everywhere() -> None:
    warning, error = Finding(WARNING, "w"), Finding(ERROR, "e")
    assert (warning.is_error, error.is_error) == (False, True)
    assert not has_errors([warning]) and has_errors([warning, error]) and not has_errors([])
