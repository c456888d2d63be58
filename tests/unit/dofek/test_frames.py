"""poll_response validation: forgiving on absent fields, strict on types, enums warned."""

from __future__ import annotations

import pytest

from devctl.dofek.frames import namespaced, validate

FULL = {
    "type": "poll_response",
    "status": "ok",
    "manifest": {"name": "ollama", "version": "1.0", "description": "d", "author": "a"},
    "panels": [
        {"id": "p", "label": "OLLAMA", "content": [{"key": "Model", "value": "llama3", "style": "accent"}]}
    ],
    "process_annotations": [{"pid": 1234, "label": "llama3:8b", "category": "ai", "ai_state": "inferring"}],
    "metrics": [{"id": "ollama.rpm", "label": "Req/min", "value": 12.5, "unit": "req/m"}],
}


def test_full_response_is_accepted_as_is() -> None:
    result = validate(FULL)
    assert result.ok and result.issues == []
    resp = result.response
    assert resp.manifest["name"] == "ollama"
    assert resp.panels[0]["content"][0] == {"key": "Model", "value": "llama3", "style": "accent"}
    assert resp.annotations == [
        {"pid": 1234, "label": "llama3:8b", "category": "ai", "ai_state": "inferring"}
    ]
    assert resp.metrics == [{"id": "ollama.rpm", "label": "Req/min", "value": 12.5, "unit": "req/m"}]


def test_type_and_status_are_optional_and_arrays_default_empty() -> None:
    result = validate({})
    assert result.ok and result.response.status == "ok"
    assert (result.response.panels, result.response.annotations, result.response.metrics) == ([], [], [])
    # optional fields get defaults: label falls back to the id, unit to "", style to normal
    resp = validate(
        {
            "metrics": [{"id": "a.b", "value": 3}],
            "panels": [{"id": "p", "content": [{"key": "k", "value": "v"}]}],
        }
    ).response
    assert resp.metrics[0] == {"id": "a.b", "label": "a.b", "value": 3.0, "unit": ""}
    assert resp.panels[0]["label"] == "p" and resp.panels[0]["content"][0]["style"] == "normal"


@pytest.mark.parametrize(
    ("reply", "path", "words"),
    [
        (
            {"metrics": [{"id": "a.b", "value": "12"}]},
            "metrics[0].value",
            'must be a number, got string "12"',
        ),
        ({"metrics": [{"id": "a.b", "value": True}]}, "metrics[0].value", "got boolean"),
        ({"metrics": [{"label": "x", "value": 1}]}, "metrics[0].id", "missing"),
        ({"process_annotations": [{"pid": "12"}]}, "process_annotations[0].pid", "must be an integer"),
        ({"process_annotations": [{"pid": 1.5}]}, "process_annotations[0].pid", "must be an integer"),
        ({"process_annotations": [{"label": "x"}]}, "process_annotations[0].pid", "missing"),
        (
            {"panels": [{"id": "p", "content": [{"key": "k", "value": 3}]}]},
            "panels[0].content[0].value",
            "must be a string, got integer 3",
        ),
        ({"panels": {"id": "p"}}, "panels", "must be an array, got object"),
        ({"panels": [{"id": 7}]}, "panels[0].id", "must be a string"),
        ({"manifest": {"name": 5}}, "manifest.name", "must be a string"),
        ({"manifest": "me"}, "manifest", "must be an object"),
        ({"process_annotations": [{"pid": -3}]}, "process_annotations[0].pid", "must be a positive integer"),
        ({"status": 1}, "status", "must be a string"),
    ],
)
def test_wrong_types_reject_the_response(reply: dict, path: str, words: str) -> None:
    result = validate(reply)
    assert not result.ok
    assert [i.path for i in result.errors] == [path]
    assert words in result.errors[0].message


def test_not_an_object() -> None:
    result = validate([1, 2])
    assert not result.ok and "must be a JSON object, got array" in str(result.errors[0])


def test_unknown_enum_values_are_ignored_with_a_warning() -> None:
    result = validate(
        {
            "status": "fine",
            "panels": [{"id": "p", "content": [{"key": "k", "value": "v", "style": "bright"}]}],
            "process_annotations": [{"pid": 1, "category": "robot", "ai_state": "dreaming", "label": "x"}],
        }
    )
    assert result.ok
    assert {i.key for i in result.warnings} == {
        ("enum", "status", "fine"),
        ("enum", "style", "bright"),
        ("enum", "category", "robot"),
        ("enum", "ai_state", "dreaming"),
    }
    assert result.response.panels[0]["content"][0]["style"] == "normal"
    assert result.response.annotations[0] == {"pid": 1, "label": "x", "category": None, "ai_state": None}


def test_unnamespaced_metric_is_a_warning() -> None:
    result = validate({"metrics": [{"id": "requests", "value": 1}, {"id": "svc.requests", "value": 2}]})
    assert result.ok
    assert [i.kind for i in result.warnings] == ["namespace"]
    assert "'requests' is not namespaced" in str(result.warnings[0])


@pytest.mark.parametrize(
    ("mid", "ok"),
    [
        ("a.b", True),
        ("a.b.c", True),
        ("ab", False),
        (".b", False),
        ("a.", False),
        ("a..b", False),
        ("a b.c", False),
    ],
)
def test_namespaced(mid: str, ok: bool) -> None:
    assert namespaced(mid) is ok


def test_status_error_is_accepted_with_its_message() -> None:
    resp = validate({"status": "error", "message": "ollama is not running"}).response
    assert (resp.status, resp.message) == ("error", "ollama is not running")


def test_unknown_fields_are_ignored() -> None:
    assert validate({"future": 1, "metrics": [{"id": "a.b", "value": 1, "colour": "red"}]}).issues == []


def test_replies_dofek_renders_are_accepted() -> None:
    """What a Rust plugin built on Dofek's protocol crate sends with its defaults, and the other
    shapes Dofek itself shows: none of them may be refused."""
    crate_default = validate({"status": "", "manifest": None, "panels": [
        {"id": "p", "label": "P", "content": [{"key": "k", "value": "v"}]}]})
    assert crate_default.ok and crate_default.issues == []
    resp = crate_default.response
    assert (resp.status, resp.manifest, resp.panels[0]["label"]) == ("ok", None, "P")
    late_manifest = validate({"status": "ok", "manifest": {"name": "later"}}).response
    assert late_manifest.manifest == {"name": "later"}
    error = validate({"status": "error", "message": "down", "panels": [{"id": "p", "label": "P"}]})
    assert error.ok and error.response.panels == [{"id": "p", "label": "P", "content": []}]


def test_a_foreign_type_and_pid_zero_are_warnings() -> None:
    result = validate({"type": "poll", "process_annotations": [{"pid": 0, "label": "x"}],
                       "panels": [{"id": "p"}]})
    assert result.ok and result.response.annotations == [] and len(result.response.panels) == 1
    assert sorted(i.path for i in result.warnings) == ["process_annotations[0].pid", "type"]
    by_path = {i.path: str(i) for i in result.warnings}
    assert 'should be "poll_response"' in by_path["type"]
