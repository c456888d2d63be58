"""Pure validation of one `poll_response` object, and the poll request we send.

The stance: every reply Dofek itself renders is rendered here too; beyond that, strict on
field types.
- `type` and `status` may be absent. A `type` other than "poll_response" is a warning (Dofek
  never reads it). `status` "" is "ok": it is what a Rust plugin built on Dofek's protocol
  crate sends by default. `"manifest": null` is no manifest (the crate's `Option` serialises
  so), as is any absent array.
- `status: "error"` is a reply like any other: its panels, metrics and annotations are used,
  and the host shows the error on the plugin's panel.
- A wrong type anywhere rejects the whole response (an `error` issue): showing half a reply
  would hide the plugin's bug, and the dock keeps the last good data instead.
- An enum value outside the spec (style, category, ai_state, status) is a `warning`: the
  value is ignored (style falls back to "normal"), the rest of the reply is used.
- An annotation for pid 0 (a valid `u32` to Dofek, matching no process) is a warning and
  dropped.
- A metric id that is not namespaced (`plugin.metric`) is a `warning`.
- Unknown fields are ignored (the spec asks plugins to do the same for requests).

Every issue carries a `key` so the host can warn once per plugin and `check` can group them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

STYLES = ("normal", "accent", "dim", "warn", "error")
CATEGORIES = ("ai", "dev", "watch")
AI_STATES = ("idle", "loading", "inferring")
STATUSES = ("ok", "error")
MANIFEST_FIELDS = ("name", "version", "description", "author")
_NAMESPACED = re.compile(r"^[^.\s]+(\.[^.\s]+)+$")


@dataclass(frozen=True)
class Issue:
    """One problem in a response. `severity` is "error" (rejects it) or "warning"."""

    severity: str
    kind: str  # "type" | "enum" | "namespace" | "status"
    path: str  # e.g. "panels[0].content[1].style"
    message: str
    #: Groups repeats: the host warns once per (plugin, key).
    key: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class PollResponse:
    """A checked response, normalised: absent arrays are empty, bad enum values dropped."""

    status: str = "ok"
    message: str = ""
    manifest: dict[str, str] | None = None
    panels: list[dict[str, Any]] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Validation:
    response: PollResponse | None
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return self.response is not None


def poll_request(timestamp_ms: int, processes: list[dict[str, Any]]) -> dict[str, Any]:
    """The poll frame: `processes` items are {pid, name, vram_bytes (int or None)}."""
    return {"type": "poll", "timestamp_ms": timestamp_ms, "processes": processes}


SHUTDOWN = {"type": "shutdown"}


def validate(obj: Any) -> Validation:
    """Check one decoded response. Never raises: every problem is an `Issue`."""
    v = _Checker()
    if not isinstance(obj, dict):
        v.error("", f"a response must be a JSON object, got {_kind(obj)}", ("root",))
        return Validation(None, v.issues)
    resp = PollResponse()
    kind = obj.get("type")
    if kind is not None and kind != "poll_response":
        v.issues.append(Issue("warning", "enum", "type",
                              f'should be "poll_response", got {_show(kind)}; ignored, as Dofek does',
                              ("enum", "type", _show(kind))))
    status = obj.get("status")
    if status is not None:
        if not isinstance(status, str):
            v.error("status", f"must be a string, got {_kind(status)}", ("status-type",))
        elif status == "":
            pass  # the protocol crate's default: a plain reply
        elif status not in STATUSES:
            v.enum("status", status, STATUSES)
        else:
            resp.status = status
    for key in ("message", "error"):
        value = obj.get(key)
        if isinstance(value, str) and value:
            resp.message = value
            break
    if obj.get("manifest") is not None:
        resp.manifest = _manifest(obj["manifest"], v)
    resp.panels = _each(obj, "panels", _panel, v)
    resp.annotations = _each(obj, "process_annotations", _annotation, v)
    resp.metrics = _each(obj, "metrics", _metric, v)
    if any(i.severity == "error" for i in v.issues):
        return Validation(None, v.issues)
    return Validation(resp, v.issues)


def namespaced(metric_id: str) -> bool:
    return bool(_NAMESPACED.match(metric_id))


class _Checker:
    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def error(self, path: str, message: str, key: tuple[str, ...]) -> None:
        self.issues.append(Issue("error", "type", path, message, ("type", *key)))

    def enum(self, path: str, value: str, allowed: tuple[str, ...]) -> None:
        leaf = path.rsplit(".", 1)[-1]
        self.issues.append(Issue(
            "warning", "enum", path,
            f"{value!r} is not a known {leaf} (known: {', '.join(allowed)}); ignored",
            ("enum", leaf, value),
        ))

    def want(self, obj: dict[str, Any], key: str, path: str, types: tuple[type, ...], what: str,
             *, required: bool = False) -> Any:
        """obj[key] if it has one of `types` (bools never count as numbers), else an error."""
        if key not in obj or obj[key] is None and not required:
            if required:
                self.error(f"{path}.{key}", f"missing (required, {what})", (_generic(path), key, "missing"))
            return None
        value = obj[key]
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            self.error(f"{path}.{key}", f"must be {what}, got {_kind(value)} {_show(value)}",
                       (_generic(path), key))
            return None
        return value


def _array(obj: dict[str, Any], key: str, v: _Checker) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        v.error(key, f"must be an array, got {_kind(value)}", (key,))
        return []
    return value


def _each(obj: dict[str, Any], key: str, check: Any, v: _Checker) -> list[dict[str, Any]]:
    items = (check(item, f"{key}[{i}]", v) for i, item in enumerate(_array(obj, key, v)))
    return [item for item in items if item is not None]


def _manifest(value: Any, v: _Checker) -> dict[str, str] | None:
    if not isinstance(value, dict):
        v.error("manifest", f"must be an object, got {_kind(value)}", ("manifest",))
        return None
    out = {}
    for key in MANIFEST_FIELDS:
        text = v.want(value, key, "manifest", (str,), "a string")
        if text is not None:
            out[key] = text
    return out


def _panel(value: Any, path: str, v: _Checker) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        v.error(path, f"a panel must be an object, got {_kind(value)}", ("panel",))
        return None
    pid = v.want(value, "id", path, (str,), "a string", required=True)
    label = v.want(value, "label", path, (str,), "a string")
    content = []
    raw = value.get("content")
    if raw is not None and not isinstance(raw, list):
        v.error(f"{path}.content", f"must be an array, got {_kind(raw)}", ("panels[].content",))
        raw = []
    for j, item in enumerate(raw or []):
        ipath = f"{path}.content[{j}]"
        if not isinstance(item, dict):
            v.error(ipath, f"must be an object, got {_kind(item)}", ("panels[].content[]",))
            continue
        key = v.want(item, "key", ipath, (str,), "a string", required=True)
        text = v.want(item, "value", ipath, (str,), "a string", required=True)
        style = v.want(item, "style", ipath, (str,), "a string")
        if style is not None and style not in STYLES:
            v.enum(f"{ipath}.style", style, STYLES)
            style = None
        content.append({"key": key, "value": text, "style": style or "normal"})
    return {"id": pid, "label": label if label is not None else pid, "content": content}


def _annotation(value: Any, path: str, v: _Checker) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        v.error(path, f"an annotation must be an object, got {_kind(value)}", ("annotation",))
        return None
    pid = v.want(value, "pid", path, (int,), "an integer", required=True)
    if pid is not None and pid < 0:
        v.error(f"{path}.pid", f"must be a positive integer, got {pid}", ("annotation-pid",))
    elif pid == 0:
        v.issues.append(Issue("warning", "enum", f"{path}.pid", "pid 0 matches no process; dropped",
                              ("annotation-pid-0",)))
        return None
    label = v.want(value, "label", path, (str,), "a string")
    category = v.want(value, "category", path, (str,), "a string")
    if category is not None and category not in CATEGORIES:
        v.enum(f"{path}.category", category, CATEGORIES)
        category = None
    ai_state = v.want(value, "ai_state", path, (str,), "a string")
    if ai_state is not None and ai_state not in AI_STATES:
        v.enum(f"{path}.ai_state", ai_state, AI_STATES)
        ai_state = None
    return {"pid": pid, "label": label, "category": category, "ai_state": ai_state}


def _metric(value: Any, path: str, v: _Checker) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        v.error(path, f"a metric must be an object, got {_kind(value)}", ("metric",))
        return None
    mid = v.want(value, "id", path, (str,), "a string", required=True)
    label = v.want(value, "label", path, (str,), "a string")
    number = v.want(value, "value", path, (int, float), "a number", required=True)
    if isinstance(number, float) and not math.isfinite(number):
        v.error(f"{path}.value", f"must be a finite number, got {number}", ("metric-finite",))
    unit = v.want(value, "unit", path, (str,), "a string")
    if isinstance(mid, str) and not namespaced(mid):
        v.issues.append(Issue(
            "warning", "namespace", f"{path}.id",
            f"metric id {mid!r} is not namespaced; use '<plugin>.<metric>' so plugins cannot collide",
            ("namespace", mid),
        ))
    return {"id": mid, "label": label if label is not None else mid,
            "value": float(number) if number is not None else 0.0, "unit": unit or ""}


def _generic(path: str) -> str:
    """`panels[3].content[0]` -> `panels[].content[]`: one warning key for every index."""
    return re.sub(r"\[\d+\]", "[]", path)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array",
            dict: "object"}.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    import json

    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"
