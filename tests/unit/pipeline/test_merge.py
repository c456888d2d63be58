import pytest

from devctl.errors import OperationFailed
from devctl.pipeline.merge import ArtifactMerge, NamedMerge


def test_distinct_names_keep_arrival_order():
    merge = NamedMerge("step")
    merge.add("b", {"name": "b"}, "p1")
    merge.add("a", {"name": "a"}, "p2")
    assert [s["name"] for s in merge.values()] == ["b", "a"]
    assert merge.notes == []


def test_last_wins_with_a_note_naming_both_plugins():
    merge = NamedMerge("service")
    merge.add("web", {"name": "web", "v": 1}, "first")
    merge.add("db", {"name": "db"}, "first")
    merge.add("web", {"name": "web", "v": 2}, "second")
    assert merge.values() == [{"name": "web", "v": 2}, {"name": "db"}]  # position of first arrival
    assert len(merge.notes) == 1
    note = merge.notes[0]
    assert "service 'web'" in note and "'first'" in note and "'second'" in note


def test_strict_collision_names_item_and_both_plugins():
    merge = NamedMerge("step", strict=True)
    merge.add("compile", {"name": "compile"}, "alpha")
    with pytest.raises(OperationFailed) as info:
        merge.add("compile", {"name": "compile"}, "beta")
    msg = info.value.message
    assert "step 'compile'" in msg and "'alpha'" in msg and "'beta'" in msg


def test_same_plugin_twice_is_a_collision_too():
    merge = NamedMerge("step", strict=True)
    merge.add("x", {}, "p")
    with pytest.raises(OperationFailed, match="twice"):
        merge.add("x", {}, "p")


def test_artifacts_merge_by_key_last_wins():
    merge = ArtifactMerge()
    merge.add({"bin": "a/out", "lib": "l"}, "p1")
    merge.add({"bin": "b/out"}, "p2")
    assert merge.artifacts == {"bin": "b/out", "lib": "l"}
    assert len(merge.notes) == 1 and "'bin'" in merge.notes[0]


def test_artifact_same_value_is_not_noted():
    merge = ArtifactMerge()
    merge.add({"bin": "x"}, "p1")
    merge.add({"bin": "x"}, "p2")
    assert merge.notes == []



def test_strict_collision_hint_names_the_setting_that_lets_the_last_one_win():
    """Regression: the hint said `strictness: error` (the setting that makes it fail) where it
    meant `strictness: warn`."""
    merge = NamedMerge("service", strict=True)
    merge.add("web", {}, "a")
    with pytest.raises(OperationFailed) as info:
        merge.add("web", {}, "b")
    msg = info.value.message
    assert "strictness: warn" in msg and "strictness: error" not in msg


def test_collisions_are_kept_as_data_too():
    merge = NamedMerge("service")
    merge.add("web", {}, "a")
    merge.add("web", {}, "b")
    assert merge.collisions == [{"kind": "service", "name": "web", "plugins": ["a", "b"]}]
