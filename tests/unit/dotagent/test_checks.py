"""Pure checks: info documents, replies, schemas, platforms, event filters."""

import pytest

from devctl.dotagent.checks import (
    InfoError,
    ReplyError,
    check_events,
    check_info,
    check_reply,
    config_errors,
    current_platform,
    salvage,
    schema_problems,
)

GOOD = {"name": "n", "version": "1", "kinds": ["notify"], "schema": {"type": "object"}}


def test_good_info_keeps_extra_fields():
    info = check_info({**GOOD, "platforms": ["linux"], "homepage": "x"})
    assert info.kinds == ("notify",) and info.platforms == ("linux",)
    assert info.extra == {"homepage": "x"}
    assert info.supports_platform("linux") and not info.supports_platform("darwin")


def test_empty_or_missing_platforms_mean_all():
    assert check_info(GOOD).supports_platform("darwin")
    assert check_info({**GOOD, "platforms": []}).supports_platform("win32")


def test_info_lists_every_problem():
    with pytest.raises(InfoError) as info:
        check_info(
            {"name": "", "kinds": ["notify", "webhook"], "platforms": "linux", "schema": {"type": "objekt"}}
        )
    text = str(info.value)
    for needle in ("`name`", "`version`", "webhook", "`platforms`", "not a valid JSON Schema"):
        assert needle in text
    assert len(info.value.problems) == 5


def test_info_not_an_object():
    with pytest.raises(InfoError, match="got array"):
        check_info([1])


def test_schema_problems_all_with_paths():
    problems = schema_problems({"type": "objekt", "properties": {"a": {"type": 5}}})
    assert len(problems) == 2
    assert any(p.startswith("$.type:") for p in problems)
    assert any(p.startswith("$.properties.a.type:") for p in problems)
    assert schema_problems({"type": "object"}) == []


def test_config_errors_have_paths():
    schema = {
        "type": "object",
        "required": ["url"],
        "properties": {"url": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}},
    }
    errors = config_errors(schema, {"tags": ["a", 3]})
    assert "$: 'url' is a required property" in errors
    assert "$.tags[1]: 3 is not of type 'string'" in errors
    assert config_errors(schema, {"url": "x"}) == []


@pytest.mark.parametrize("doc", [{"ok": "true"}, {"ok": 1}, {"ok": None}])
def test_ok_must_be_boolean(doc):
    with pytest.raises(ReplyError, match="must be a boolean"):
        check_reply(doc)


def test_reply_missing_ok():
    with pytest.raises(ReplyError, match='no "ok" field'):
        check_reply({"status": "sent"})


def test_reply_keeps_extra_and_suggest():
    r = check_reply({"ok": False, "error": "e", "suggest": "s", "id": 7})
    assert (r.ok, r.error, r.suggest, r.extra) == (False, "e", "s", {"id": 7})
    assert check_reply({"ok": True, "error": {"code": 1}}).error == '{"code": 1}'


def test_salvage():
    assert salvage({"ok": False, "error": "x", "suggest": "y"}) == ("x", "y")
    assert salvage("junk") == (None, None)


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("linux", "linux"),
        ("linux2", "linux"),
        ("darwin", "darwin"),
        ("win32", "windows"),
        ("freebsd14", "freebsd"),
    ],
)
def test_platform_names(raw, want):
    assert current_platform(raw) == want


def test_event_filters():
    assert check_events(["success", "recovered"]) == []
    assert "unknown event" in check_events(["done"])[0]
    assert check_events("success") == ["must be a list of event names"]
