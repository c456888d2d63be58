import pytest

from devctl.errors import PluginError
from devctl.pipeline.patch import apply_patch


def test_set_creates_parents_and_leaves_input_untouched():
    before = {"env": {"A": "1"}}
    after = apply_patch(before, {"set": {"services.backend.port": 8083, "env.B": "2"}}, "p")
    assert after == {"env": {"A": "1", "B": "2"}, "services": {"backend": {"port": 8083}}}
    assert before == {"env": {"A": "1"}}


def test_unset_runs_before_set():
    after = apply_patch({"a": {"b": 1}}, {"set": {"a.b": 2}, "unset": ["a.b"]}, "p")
    assert after == {"a": {"b": 2}}


def test_unset_missing_path_is_a_noop():
    assert apply_patch({"a": 1}, {"unset": ["x.y.z", "a.b"]}, "p") == {"a": 1}


def test_unset_removes_only_the_leaf():
    assert apply_patch({"a": {"b": 1, "c": 2}}, {"unset": ["a.b"]}, "p") == {"a": {"c": 2}}


def test_keys_apply_in_sorted_order_regardless_of_json_order():
    # "a" sorts before "a.b": the object is set first, then the child goes into it.
    one = apply_patch({}, {"set": {"a.b": 2, "a": {"x": 1}}}, "p")
    two = apply_patch({}, {"set": {"a": {"x": 1}, "a.b": 2}}, "p")
    assert one == two == {"a": {"x": 1, "b": 2}}


def test_setting_through_a_non_object_names_plugin_and_path():
    with pytest.raises(PluginError) as info:
        apply_patch({"services": {"web": "oops"}}, {"set": {"services.web.port": 1}}, "myplug")
    msg = info.value.message
    assert "'myplug'" in msg and "'services.web.port'" in msg and "'services.web'" in msg


def test_values_are_copied_not_shared():
    value = {"deep": [1]}
    after = apply_patch({}, {"set": {"x": value}}, "p")
    value["deep"].append(2)
    assert after == {"x": {"deep": [1]}}


@pytest.mark.parametrize("bad", ["", "a..b", ".a", "a."])
def test_invalid_dotted_paths(bad):
    with pytest.raises(PluginError, match="invalid dotted path"):
        apply_patch({}, {"set": {bad: 1}}, "p")


@pytest.mark.parametrize(
    "patch, fragment",
    [
        ([1], "config_patch must be an object"),
        ({"set": [1]}, "config_patch.set must be an object"),
        ({"unset": "a"}, "config_patch.unset must be a list"),
        ({"sett": {}}, "unknown key"),
        ({"unset": [3]}, "must be a string"),
    ],
)
def test_bad_patch_shapes(patch, fragment):
    with pytest.raises(PluginError, match=fragment):
        apply_patch({}, patch, "p")


def test_missing_patch_is_empty():
    assert apply_patch({"a": 1}, None, "p") == {"a": 1}


def test_a_patch_500_deep_is_a_plugin_error_not_a_recursion_error():
    """Issue 12 item 15: a 500-segment path or a 500-deep value made the next copy (the next
    patch, `plan --json`) overflow the recursion limit with a traceback."""
    from devctl.pipeline.patch import MAX_DEPTH

    with pytest.raises(PluginError, match="500 segments"):
        apply_patch({}, {"set": {".".join(["a"] * 500): 1}}, "deep")
    value: object = 1
    for _ in range(500):
        value = {"a": value}
    with pytest.raises(PluginError, match=f"nests more than {MAX_DEPTH} levels"):
        apply_patch({}, {"set": {"b": value}}, "deep")
    ok = apply_patch({}, {"set": {".".join(["a"] * (MAX_DEPTH - 1)): {"b": 1}}}, "deep")
    assert apply_patch(ok, {"set": {"c": 1}}, "next")["c"] == 1


def test_the_result_shares_no_object_or_array_with_the_config_or_the_patch():
    """`apply_patch` copies (it no longer imports `copy` for it): a later patch, or a caller
    editing its own config, never reaches into another's data."""
    config = {"a": {"list": [1, {"x": 1}]}, "s": "text"}
    value = {"deep": [{"y": 2}]}
    after = apply_patch(config, {"set": {"b": value}}, "p")
    assert after == {"a": {"list": [1, {"x": 1}]}, "s": "text", "b": {"deep": [{"y": 2}]}}
    after["a"]["list"][1]["x"] = 9
    after["b"]["deep"][0]["y"] = 9
    assert config == {"a": {"list": [1, {"x": 1}]}, "s": "text"} and value == {"deep": [{"y": 2}]}
