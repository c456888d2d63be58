"""The one reader of JSON arguments: same message form, same exit code (2) everywhere."""

import io

import pytest

from devctl.cli.json_args import parse_json, read_json, read_source, require_object, source_label
from devctl.errors import EXIT_USAGE, ConfigError


def test_a_file_or_stdin(tmp_path, monkeypatch):
    path = tmp_path / "c.json"
    path.write_text('{"a": 1}', encoding="utf-8")
    assert read_json(str(path), "config") == {"a": 1}
    monkeypatch.setattr("sys.stdin", io.StringIO("[1, 2]"))
    assert read_json("-", "payload") == [1, 2]


def test_broken_json_names_where_and_what():
    with pytest.raises(ConfigError) as caught:
        parse_json('{"panels": [\n  oops]}', source_label("-"), "poll_response")
    assert caught.value.message == "<stdin>:2:3: poll_response is not valid JSON: Expecting value"
    assert caught.value.exit_code == EXIT_USAGE


def test_unreadable_source_is_a_usage_error(tmp_path):
    with pytest.raises(ConfigError, match=r"missing.json: cannot read: No such file or directory") as caught:
        read_source(str(tmp_path / "missing.json"))
    assert caught.value.exit_code == EXIT_USAGE


def test_an_object_is_required_where_asked():
    assert require_object({}, "--input", "input") == {}
    with pytest.raises(ConfigError, match="--input: input must be a JSON object, got list"):
        require_object([1], "--input", "input")
