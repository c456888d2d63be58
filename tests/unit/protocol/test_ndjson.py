import pytest

from devctl.protocol.ndjson import FrameError, LineSplitter, LineTooLong, decode, encode


def test_encode_roundtrip():
    obj = {"type": "request", "x": "é", "n": [1, 2]}
    line = encode(obj)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode(line) == obj


def test_splitter_joins_partial_chunks():
    s = LineSplitter(max_len=100)
    assert s.feed(b'{"a"') == []
    assert s.feed(b':1}\n{"b":2}\r\n{"c"') == [b'{"a":1}', b'{"b":2}']
    assert s.flush() == b'{"c"'
    assert s.flush() is None


def test_splitter_refuses_long_line_before_newline():
    s = LineSplitter(max_len=10)
    with pytest.raises(LineTooLong):
        s.feed(b"x" * 11)
    with pytest.raises(LineTooLong):
        s.feed(b"\n")


def test_splitter_accepts_exact_limit():
    s = LineSplitter(max_len=10)
    assert s.feed(b"y" * 10 + b"\n") == [b"y" * 10]


@pytest.mark.parametrize(
    ("raw", "why"),
    [(b"hello", "not JSON"), (b"[1]", "expected a JSON object"), (b"\xff\xfe", "UTF-8"), (b"  ", "empty")],
)
def test_decode_errors_quote_the_line(raw, why):
    with pytest.raises(FrameError) as info:
        decode(raw)
    assert why in info.value.message


def test_decode_quote_is_cut_to_200_chars():
    with pytest.raises(FrameError) as info:
        decode("x" * 1000)
    assert len(info.value.line) <= 201


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_non_finite_numbers_are_a_frame_error(number):
    """Python's json reads these; strict JSON has no such values, and a plugin's NaN reached
    `plan --json` as invalid JSON (issue 12, item 16)."""
    with pytest.raises(FrameError, match=f"{number} is not a JSON number") as info:
        decode(f'{{"services": [{{"stop_timeout_ms": {number}}}]}}')
    assert number in info.value.line


def test_finite_floats_still_decode():
    assert decode('{"a": 1.5e300, "b": -0.0, "c": 2}') == {"a": 1.5e300, "b": -0.0, "c": 2}
