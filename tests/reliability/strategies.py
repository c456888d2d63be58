"""Hypothesis strategies for the fuzz tests: JSON values, frames that are almost right, YAML text.

"Almost right" matters: purely random input is rejected at the first check and never reaches
the deeper branches, so each frame strategy starts from a valid frame and breaks it a little.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

KEYS = st.sampled_from(["type", "ok", "request_id", "output", "error", "code", "message", "event",
                        "stream_id", "data", "protocol_version", "capabilities", "ops", "streams",
                        "commands", "plugin_name", "declares", "status", "panels", "metrics",
                        "process_annotations", "manifest", "name", "id", "value", "pid", "content",
                        "style", "title", "kinds", "schema", "platforms", "version", "suggest"]) | st.text(
    max_size=8)
SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(KEYS, inner, max_size=5), max_leaves=25)


def mutate(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """`base` with some keys replaced by random JSON, some removed, some added."""
    keys = sorted(base)

    @st.composite
    def build(draw: Any) -> dict[str, Any]:
        out = dict(base)
        for key in draw(st.lists(st.sampled_from(keys), max_size=3, unique=True)):
            out[key] = draw(JSON)
        for key in draw(st.lists(st.sampled_from(keys), max_size=2, unique=True)):
            out.pop(key, None)
        out.update(draw(st.dictionaries(KEYS, JSON, max_size=2)))
        return out

    return build()


HANDSHAKE = {"type": "handshake", "protocol_version": "v1", "plugin_name": "p",
             "capabilities": {"ops": ["launch.plan"], "streams": ["logs.tail"], "commands": ["x"]}}
RESPONSE = {"type": "response", "request_id": "p-1", "ok": True, "output": {"a": 1}}
ERROR_RESPONSE = {"type": "response", "request_id": "p-1", "ok": False,
                  "error": {"code": "E_X", "message": "no"}}
EVENT = {"type": "event", "stream_id": "s-1", "event": "log", "data": {"line": "x"}}
REQUEST = {"type": "request", "request_id": "r-1", "op": "launch.plan",
           "ctx": {"repo_root": "/r", "cwd": "/r", "deadline_ms": 100, "dry_run": False}, "input": {}}
POLL = {"type": "poll_response", "status": "ok",
        "panels": [{"id": "p.x", "title": "X", "content": [{"text": "hi", "style": "warn"}]}],
        "metrics": [{"id": "gpu.temp", "value": 3}],
        "process_annotations": [{"pid": 1, "label": "x"}],
        "manifest": {"name": "n", "version": "1"}}
INFO = {"name": "n", "version": "1", "kinds": ["notify"], "platforms": [], "schema": {"type": "object"}}
REPLY = {"ok": True, "error": "", "suggest": ""}

YAML_ATOMS = st.sampled_from([
    "plugins:", "  - id: a", "    path: ./p", "    args: [x, y]", "    env: {A: b}", "    priority: 3",
    "    enabled: false", "    workdir: sub", "strictness: error", "strictness: nope", "preflight:",
    "  - plugin: x", "    config: {a: 1}", "    timeout_s: -1", "notifiers:", "    events: [up]",
    "&a [*a]", "a: &x {b: *x}", "<<: *missing", "!!python/object:os.system {}", "- !!binary aGk=",
    "{", "]", "'", "\"\\u00", "\t", "key: value", "? complex", ": x", "--- ", "...", "%YAML 1.1",
    "x: !!float nan", "plugins: *a", "plugins: &a [*a]", "priority: 99999999999999999999999",
    "    config: &c {b: *c}", "    config: {a: &l [1, 2], b: [*l, *l]}", "  - plugin: ./good.py",
])
YAML_TEXT = st.lists(YAML_ATOMS | st.text(max_size=30), max_size=12).map("\n".join)
