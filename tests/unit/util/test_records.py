"""devctl.util.records: the plain record classes that replace dataclasses on the hot paths.

They must behave as the dataclasses did for everything devctl (and code written for the
dataclasses) does with them: construct by keyword or position with defaults, compare, repr,
copy and pickle, `replace`.
"""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import pytest

from devctl.config.model import Config, PluginSpec
from devctl.config.services_section import DeclaredService
from devctl.pipeline import PipelineOptions, PipelineResult
from devctl.plugin_commands.names import Listing
from devctl.util.records import Fields, Record, replace


class Point(Record):
    __slots__ = ("x", "y")

    def __init__(self, x: int, y: int = 0) -> None:
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)


class Box(Fields):
    __slots__ = ("items", "label")

    def __init__(self, items: list[int] | None = None, label: str = "") -> None:
        self.items = [] if items is None else items
        self.label = label


class Pair(Fields):
    __slots__ = ("items", "label")

    def __init__(self, items: list[int] | None = None, label: str = "") -> None:
        self.items = [] if items is None else items
        self.label = label


def test_a_record_is_an_immutable_hashable_value():
    p = Point(1, 2)
    assert p == Point(x=1, y=2) and p != Point(1) and hash(p) == hash(Point(1, 2))
    assert {Point(1), Point(1), Point(2)} == {Point(1), Point(2)}
    assert repr(p) == "Point(x=1, y=2)"
    with pytest.raises(AttributeError):
        p.x = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del p.y  # type: ignore[misc]
    with pytest.raises(AttributeError):
        p.z = 1  # type: ignore[attr-defined]  # no __dict__: only the declared fields


def test_a_mutable_record_compares_by_class_and_fields_and_is_unhashable():
    box = Box([1], "a")
    assert box == Box(items=[1], label="a") and box != Box([1], "b")
    assert box != Pair([1], "a")  # same fields, another class: as dataclasses compare
    box.items.append(2)
    box.label = "b"
    assert repr(box) == "Box(items=[1, 2], label='b')"
    with pytest.raises(TypeError):
        hash(box)
    assert Box().items is not Box().items  # each default list is its own (a default_factory)


def test_copy_deepcopy_and_pickle_rebuild_records_of_both_kinds():
    p = Point(1, 2)
    assert copy.copy(p) == p and copy.deepcopy(p) == p and pickle.loads(pickle.dumps(p)) == p
    box = Box([1, 2], "x")
    deep = copy.deepcopy(box)
    assert deep == box and deep.items is not box.items
    assert pickle.loads(pickle.dumps(box)) == box


def test_replace_copies_with_changes_and_rejects_an_unknown_field():
    p = Point(1, 2)
    assert replace(p, y=5) == Point(1, 5) and p == Point(1, 2)
    box = Box([1], "a")
    other = replace(box, label="b")
    assert other == Box([1], "b") and other.items is box.items  # a shallow copy, as dataclasses.replace
    with pytest.raises(TypeError):
        replace(p, z=1)


def test_config_and_plugin_spec_keep_the_dataclass_fields_defaults_and_order():
    spec = PluginSpec("app", "plugins/app.py")
    assert (spec.args, spec.env, spec.workdir, spec.priority, spec.enabled, spec.source, spec.line,
            spec.executable) == ([], {}, Path("."), 0, True, "config", None, "")
    assert spec == PluginSpec(id="app", path="plugins/app.py", args=[], env={}, workdir=Path("."))
    assert PluginSpec("a", "p").args is not PluginSpec("b", "p").args
    assert spec.argv() == ["plugins/app.py"] and spec.sort_key() == (0, "app")
    with pytest.raises(AttributeError):
        spec.id = "other"  # type: ignore[misc]  # frozen, as before
    cfg = Config(None, Path("/repo"), [spec], [spec])
    assert (cfg.strictness, cfg.preflight, cfg.notifiers, cfg.services) == ("warn", [], [], [])
    assert cfg == Config(path=None, repo_root=Path("/repo"), plugins=[spec], all_plugins=[spec])
    assert cfg.plugin("app") is spec and cfg.plugin("nope") is None
    assert repr(cfg).startswith("Config(path=None, repo_root=PosixPath('/repo'), plugins=[PluginSpec(")
    cfg.strictness = "error"  # mutable, as before (the loader fills it in field by field)
    assert replace(cfg, plugins=[]).plugins == [] and replace(cfg, plugins=[]).all_plugins == [spec]


def test_the_other_converted_records_keep_their_defaults():
    opts = PipelineOptions()
    assert (opts.steps, opts.strict, opts.dry_run, opts.timeout, opts.verbose, opts.record_as) == (
        [], False, False, 30.0, 0, None)
    assert opts.phases[0] == "config.mutate" and PipelineOptions().steps is not opts.steps
    result = PipelineResult()
    assert (result.config, result.valid, result.services, result.collisions) == ({}, True, [], [])
    assert PipelineResult(valid=False) == PipelineResult(valid=False) != result
    svc = DeclaredService("web", {"command": "x"}, ".devctl.yaml", 3)
    assert svc.lines == {} and svc == DeclaredService("web", {"command": "x"}, ".devctl.yaml", 3, {})
    assert Listing("p", 0) == Listing(plugin="p", priority=0, commands=[], error=None, skipped=[],
                                      mutates=False)

