"""What the dotagent spec says plugins send, parsed and checked: `info` documents, replies,
kinds, platforms, and configs against the schema a plugin publishes. Pure.

Strict on types the spec names, forgiving elsewhere: unknown fields in `info` or a reply
are kept (and shown with --verbose), never an error.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

KINDS = frozenset({"notify", "preflight", "sink"})
_PLATFORM_ALIASES = {"win32": "windows", "cygwin": "windows", "darwin": "darwin"}


def current_platform(raw: str | None = None) -> str:
    """`sys.platform` in the spec's vocabulary: linux, darwin, windows, freebsd..."""
    raw = sys.platform if raw is None else raw
    if raw.startswith("linux"):
        return "linux"
    for prefix in ("freebsd", "openbsd", "netbsd"):
        if raw.startswith(prefix):
            return prefix
    return _PLATFORM_ALIASES.get(raw, raw)


@dataclass(frozen=True)
class PluginInfo:
    name: str
    version: str
    kinds: tuple[str, ...]
    platforms: tuple[str, ...]  # empty = every platform
    schema: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    def supports_platform(self, platform: str | None = None) -> bool:
        return not self.platforms or current_platform(platform) in self.platforms

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "kinds": list(self.kinds),
            "platforms": list(self.platforms),
            "schema": self.schema,
            **({"extra": self.extra} if self.extra else {}),
        }


class InfoError(ValueError):
    """`info` output that breaks the spec; `problems` lists every issue found."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def check_info(doc: Any) -> PluginInfo:
    """Validate an `info` document; raise InfoError listing all problems at once."""
    if not isinstance(doc, dict):
        raise InfoError([f"info must be a JSON object, got {_type(doc)}"])
    problems: list[str] = []
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        problems.append("`name` must be a non-empty string")
    version = doc.get("version")
    if not isinstance(version, str) or not version:
        problems.append("`version` must be a non-empty string")
    kinds = doc.get("kinds")
    if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds):
        problems.append("`kinds` must be a non-empty list of strings")
        kinds = []
    else:
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            problems.append(f"`kinds` has unknown kind(s) {unknown}; allowed: {sorted(KINDS)}")
    platforms = doc.get("platforms", [])
    if platforms is None:
        platforms = []
    if not isinstance(platforms, list) or not all(isinstance(p, str) for p in platforms):
        problems.append("`platforms` must be a list of strings (empty = every platform)")
        platforms = []
    schema = doc.get("schema", {})
    if schema is None:
        schema = {}
    if not isinstance(schema, (dict, bool)):
        problems.append(f"`schema` must be a JSON Schema object, got {_type(schema)}")
    else:
        problems += [f"`schema` is not a valid JSON Schema: {p}" for p in schema_problems(schema)]
    if problems:
        raise InfoError(problems)
    known = {"name", "version", "kinds", "platforms", "schema"}
    return PluginInfo(
        name=name,
        version=version,
        kinds=tuple(kinds),
        platforms=tuple(platforms),
        schema=schema if isinstance(schema, dict) else ({} if schema else {"not": {}}),
        extra={k: v for k, v in doc.items() if k not in known},
    )


def schema_problems(schema: Any) -> list[str]:
    """Problems with a JSON Schema itself, via the validator class the schema asks for."""
    from jsonschema import exceptions, validators

    cls = validators.validator_for(schema) if isinstance(schema, dict) else validators.validator_for({})
    try:
        cls.check_schema(schema)
    except exceptions.SchemaError:
        # check_schema raises only the "best" error; list them all, like config errors.
        meta = cls(cls.META_SCHEMA)
        errors = sorted(meta.iter_errors(schema), key=lambda e: list(map(str, e.absolute_path)))
        return [f"{_path(e.absolute_path)}: {e.message}" for e in errors]
    return []


def config_errors(schema: dict[str, Any], config: Any) -> list[str]:
    """Every way `config` breaks `schema`, each as `"<json path>: <message>"`, in path order."""
    from jsonschema import validators

    cls = validators.validator_for(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(config), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [f"{_path(e.absolute_path)}: {e.message}" for e in errors]


def _path(parts: Any) -> str:
    """A JSON path like `$.channels[0].url` for error messages."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@dataclass(frozen=True)
class Reply:
    ok: bool
    error: str | None = None
    suggest: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"ok": self.ok}
        if self.error is not None:
            d["error"] = self.error
        if self.suggest is not None:
            d["suggest"] = self.suggest
        d.update(self.extra)
        return d


class ReplyError(ValueError):
    """A reply that breaks the spec (not an `ok: false`, which is a valid answer)."""


def check_reply(doc: Any) -> Reply:
    """`{"ok": bool, "error"?: str, "suggest"?: str, ...}` → Reply; ReplyError otherwise.

    `error`/`suggest` of another type are stringified rather than refused: the verdict
    is `ok`, and losing the plugin's explanation would help nobody.
    """
    if not isinstance(doc, dict):
        raise ReplyError(f"reply must be a JSON object, got {_type(doc)}")
    if "ok" not in doc:
        raise ReplyError('reply has no "ok" field (expected {"ok": true|false, ...})')
    if not isinstance(doc["ok"], bool):
        raise ReplyError(f'"ok" must be a boolean, got {_type(doc["ok"])} {doc["ok"]!r}')
    extra = {k: v for k, v in doc.items() if k not in ("ok", "error", "suggest")}
    return Reply(ok=doc["ok"], error=_text(doc.get("error")), suggest=_text(doc.get("suggest")), extra=extra)


def salvage(doc: Any) -> tuple[str | None, str | None]:
    """`error` and `suggest` from a reply that is otherwise unusable (e.g. non-zero exit)."""
    if isinstance(doc, dict):
        return _text(doc.get("error")), _text(doc.get("suggest"))
    return None, None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    import json

    return json.dumps(value, ensure_ascii=False)


def _type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )

