"""`logs:` and `watch:` of a planned service: checked at plan time, every sub-key filled in."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from devctl.errors import ConfigError
from devctl.pipeline.log_spec import SCHEMA, parse_size
from devctl.pipeline.services import normalize_service


def norm(**extra: object) -> dict:
    return dict(normalize_service({"name": "api", "command": ["x"], **extra}, "plug", Path("/repo")))


def test_absent_options_are_none():
    svc = norm()
    assert svc["logs"] is None and svc["watch"] is None


def test_logs_defaults_and_sizes():
    assert norm(logs={})["logs"] == {"timestamps": False, "max_size": None, "keep": 1}
    assert norm(logs={"timestamps": True, "max_size": "10MiB", "keep": 3})["logs"] == {
        "timestamps": True, "max_size": 10 << 20, "keep": 3}
    assert [parse_size(v) for v in (2048, "512k", "512KB", "1.5 MiB", "1g", "4096b")] == [
        2048, 512 << 10, 512 << 10, 3 << 19, 1 << 30, 4096]


def test_watch_list_shorthand_and_object():
    assert norm(watch=["src", "*.toml"])["watch"] == {"paths": ["src", "*.toml"], "ignore": [],
                                                      "debounce_ms": 300}
    full = {"paths": ["src/**/*.py"], "ignore": ["*.tmp"], "debounce_ms": 50}
    assert norm(watch=full)["watch"] == full


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"logs": True}, "'logs' must be an object"),
        ({"logs": {"timestamp": True}}, "logs: unknown key 'timestamp'"),
        ({"logs": {"timestamps": "yes"}}, "logs.timestamps must be true or false, got 'yes'"),
        ({"logs": {"max_size": "10 parsecs"}}, "logs.max_size must be a size such as 10MiB"),
        ({"logs": {"max_size": 100}}, "logs.max_size must be from 1KiB to 1TiB, got 100"),
        ({"logs": {"max_size": "2TiB"}}, "logs.max_size must be a size"),
        ({"logs": {"max_size": "2048g"}}, "logs.max_size must be from 1KiB to 1TiB"),
        ({"logs": {"max_size": True}}, "logs.max_size must be a size"),
        ({"logs": {"keep": 0}}, "logs.keep must be an integer from 1 to 100"),
        ({"logs": {"keep": 10**20}}, "logs.keep must be an integer from 1 to 100"),
        ({"watch": "src"}, "'watch' must be a list of paths or an object"),
        ({"watch": []}, "watch.paths must name at least one path"),
        ({"watch": {"ignore": ["x"]}}, "watch.paths must name at least one path"),
        ({"watch": ["ok", ""]}, "watch.paths must contain non-empty strings"),
        ({"watch": ["a\0b"]}, "watch.paths must contain non-empty strings"),
        ({"watch": {"paths": ["a"], "ignore": "b"}}, "watch.ignore must be a list"),
        ({"watch": {"paths": ["a"], "debounce_ms": 0}}, "watch.debounce_ms must be an integer from 10"),
        ({"watch": {"paths": ["a"], "on_change": "x"}}, "watch: unknown key 'on_change'"),
    ],
)
def test_bad_options_name_plugin_service_and_value(extra, message):
    with pytest.raises(ConfigError) as info:
        norm(**extra)
    assert info.value.message.startswith("plugin 'plug': service 'api': ")
    assert message in info.value.message


@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("logs", {"timestamps": True, "max_size": "10MiB", "keep": 3}, True),
        ("logs", {"max_size": 4096}, True),
        ("logs", {"max_size": "10 parsecs"}, False),
        ("logs", {"keep": 0}, False),
        ("logs", {"timestamp": True}, False),
        ("watch", ["src"], True),
        ("watch", {"paths": ["src"], "ignore": ["*.tmp"], "debounce_ms": 100}, True),
        ("watch", [], False),
        ("watch", {"ignore": ["x"]}, False),
        ("watch", "src", False),
    ],
)
def test_schema_agrees_with_the_validator(key, value, ok):
    schema_ok = jsonschema.Draft7Validator(SCHEMA[key]).is_valid(value)
    try:
        norm(**{key: value})
        validator_ok = True
    except ConfigError:
        validator_ok = False
    assert schema_ok == validator_ok == ok
