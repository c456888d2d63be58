"""The one duration parser behind every timeout option."""

import pytest

from devctl.util.duration import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [
    ("30", 30.0), ("2.5", 2.5), (".5", 0.5), ("0", 0.0), (" 7 ", 7.0),
    ("500ms", 0.5), ("10s", 10.0), ("2m", 120.0), ("1h", 3600.0), ("1m30s", 90.0),
    ("1h2m3.5s", 3723.5), ("1.5h", 5400.0), ("250us", 0.00025), ("250µs", 0.00025), ("10ns", 1e-8),
])
def test_plain_seconds_and_go_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "10 s", "10sec", "-1s", "-5", "+3", "s", "1d", "10S", "1e3",
                                  "nan", "inf", "10s5"])
def test_anything_else_is_refused_with_the_accepted_forms(text):
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert "10s" in str(caught.value) or "finite" in str(caught.value)


def test_format_duration():
    assert [format_duration(s) for s in (30, 0.5, 120, 90, 2.5)] == ["30s", "500ms", "2m", "90s", "2.5s"]
