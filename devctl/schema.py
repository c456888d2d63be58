"""The JSON Schema of `.devctl.yaml`, as data.

The loader (`devctl.config.loader`) stays the authority: it reports every problem with its
file and line. This schema exists for editors, which can check and complete the file while it
is typed (`devctl schema` prints it; docs/schema.md shows how to point an editor at it).

Kept in step with the loader by construction where it can be: the key lists, the strictness
values and the id pattern are the loader's own constants, and tests/unit/test_schema.py checks
that every config the loader rejects for a wrong type is rejected here too.

Draft-07, because it is the draft editors' YAML language servers support best.
"""

from __future__ import annotations

from typing import Any

from devctl.config.loader import NOTIFIER_KEYS, PLUGIN_KEYS, PREFLIGHT_KEYS, STRICTNESS, TOP_KEYS
from devctl.dotagent.events import NOTIFY_EVENTS
from devctl.pipeline.health_spec import health_schema
from devctl.pipeline.log_spec import SCHEMA as SERVICE_LOG_WATCH
from devctl.statedir import _SAFE_NAME

DRAFT = "http://json-schema.org/draft-07/schema#"

#: YAML scalars the loader takes "as written" (args items, env values): `PORT: 8080` is fine.
_SCALAR: dict[str, Any] = {"type": ["string", "number", "integer", "boolean"]}
#: A non-empty string with something other than blanks in it (the loader's `want_str`).
_TEXT: dict[str, Any] = {"type": "string", "pattern": r"\S"}


def _nullable_list(items: dict[str, Any], description: str) -> dict[str, Any]:
    # `plugins:` with nothing after it is null in YAML; the loader reads it as an empty list.
    return {"type": ["array", "null"], "items": items, "description": description}


def _plugin() -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": {
            "description": "Unique in the file; names the plugin in messages and prefixes its stderr. "
                           "Letters, digits and _ . : @ + -, not starting with '.' or '-'.",
            # Read as written, so `id: off` is the id "off" even where YAML 1.1 sees a boolean.
            "anyOf": [{"type": "string", "pattern": _SAFE_NAME.pattern},
                      {"type": ["number", "integer", "boolean"]}],
        },
        "path": {**_TEXT, "description": "What to run. With a '/': a file relative to the repo root "
                 "(must be executable). Without: looked up on PATH (e.g. python3). `devctl:python`: "
                 "the interpreter devctl runs on (for plugins that use devctl.sdk)."},
        "args": _nullable_list(_SCALAR, "Arguments after `path` (taken as text)."),
        "env": {"type": ["object", "null"], "additionalProperties": _SCALAR,
                "description": "Extra environment, added to (and overriding) devctl's own."},
        "workdir": {**_TEXT, "description": "Where the plugin runs, relative to the repo root "
                    "(default: the repo root). Must exist."},
        "priority": {"type": "integer", "default": 0,
                     "description": "Lower runs first; ties are broken by id. Discovered plugins get 1000."},
        "enabled": {"type": "boolean", "default": True,
                    "description": "false keeps the entry but never starts the plugin."},
    }
    assert tuple(props) == PLUGIN_KEYS
    return {"type": "object", "required": ["id", "path"], "additionalProperties": False,
            "properties": props}


def _dotagent_entry(keys: tuple[str, ...], kind: str, default_timeout: int) -> dict[str, Any]:
    props: dict[str, Any] = {
        "plugin": {**_TEXT, "description": f"The dotagent {kind} plugin: a name (found as "
                   "dotagent-plugin-NAME) or a path containing '/', relative to the repo root."},
        "config": {"type": ["object", "null"], "description": "Passed to the plugin; checked "
                   "against the schema its `info` publishes."},
        "timeout_s": {"type": "number", "exclusiveMinimum": 0,
                      "description": f"Seconds per call (default {default_timeout})."},
    }
    if "events" in keys:
        props["events"] = _nullable_list(
            {"enum": list(NOTIFY_EVENTS)}, "Which events the notifier receives (default: all).")
    assert set(props) == set(keys)
    ordered = {key: props[key] for key in keys}
    return {"type": "object", "required": ["plugin"], "additionalProperties": False,
            "properties": ordered}


#: A whole `${config.KEY}` reference: declared services may use one where a number is expected.
_REFERENCE: dict[str, Any] = {"type": "string", "pattern": r"^\$\{[^}]*\}$"}


def _or_ref(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, _REFERENCE], "description": schema.pop("description", "")}


def _service() -> dict[str, Any]:
    """A declared service (`services.NAME`): a plan's service fields, checked by the pipeline
    (devctl.pipeline.declared) after `${config...}` references are filled in."""
    from devctl.pipeline.services import (
        DEFAULT_MAX_RESTARTS,
        DEFAULT_RESTART,
        DEFAULT_STOP_SIGNAL,
        DEFAULT_STOP_TIMEOUT_MS,
        RESTART_POLICIES,
    )

    text_list = {"type": "array", "items": _SCALAR, "minItems": 1}
    props: dict[str, Any] = {
        "command": {"anyOf": [_TEXT, text_list],
                    "description": "The program and its arguments: a list (an argv), or a string split "
                                   "like a shell would (quotes work) but run without one."},
        "cwd": {"type": "string", "description": "Where it runs, relative to the repo root (default: the "
                "repo root)."},
        "env": {"type": ["object", "null"], "additionalProperties": _SCALAR,
                "description": "Extra environment over devctl's own (and over env_file)."},
        "env_file": {"anyOf": [_TEXT, {"type": "array", "items": _TEXT, "minItems": 1}],
                     "description": "One or more dotenv files, relative to the repo root, read when the "
                                    "plan is made; later files win, `env` wins over all."},
        "health": {"anyOf": [{"$ref": "#/definitions/health"}, {"type": "null"}],
                   "description": "When the service is ready, and stays healthy (docs/supervisor.md)."},
        "depends_on": _nullable_list(_TEXT, "Services that must be ready before this one starts."),
        "restart": {"enum": list(RESTART_POLICIES), "default": DEFAULT_RESTART},
        "max_restarts": _or_ref({"type": "integer", "minimum": 0, "default": DEFAULT_MAX_RESTARTS,
                                 "description": "Restarts in a row before giving up."}),
        "stop_signal": {"type": "string", "default": DEFAULT_STOP_SIGNAL},
        "stop_timeout_ms": _or_ref({"type": "integer", "minimum": 1, "default": DEFAULT_STOP_TIMEOUT_MS,
                                    "description": "Grace after stop_signal before SIGKILL."}),
        "user": {"type": ["string", "integer"], "description": "Run as this user (name or uid); needs "
                 "devctl to run as root unless it is devctl's own user."},
        "logs": {"$ref": "#/definitions/service_logs"},
        "watch": {"$ref": "#/definitions/service_watch"},
    }
    return {"type": "object", "required": ["command"], "additionalProperties": False, "properties": props,
            "description": "A service planned without a plugin; values may use ${config.KEY} "
                           "(write $${ for a literal ${)."}


def config_schema() -> dict[str, Any]:
    """The schema as a fresh dict (callers may change their copy)."""
    top: dict[str, Any] = {
        "plugins": _nullable_list({"$ref": "#/definitions/plugin"},
                                  "The plugins devctl starts, in (priority, id) order."),
        "strictness": {"enum": list(STRICTNESS), "default": "warn",
                       "description": "warn: when two plugins return the same step or service, the "
                       "later wins with a warning. error: that is an error."},
        "preflight": _nullable_list({"$ref": "#/definitions/preflight"},
                                    "dotagent preflight checks, run in the validate phase."),
        "notifiers": _nullable_list({"$ref": "#/definitions/notifier"},
                                    "dotagent notifiers, told about the supervisor's events."),
        "services": {"type": ["object", "null"], "propertyNames": {"pattern": _SAFE_NAME.pattern},
                     "additionalProperties": {"$ref": "#/definitions/service"},
                     "description": "Services declared without a plugin, merged before every plugin's "
                                    "plan (a plugin may add to or replace them)."},
    }
    assert tuple(top) == TOP_KEYS
    return {
        "$schema": DRAFT,
        "title": ".devctl.yaml",
        "description": "devctl's per-repo configuration: which plugins make up the dev environment.",
        # An empty file is valid: no plugins, every default.
        "type": ["object", "null"],
        "additionalProperties": False,
        "properties": top,
        "definitions": {
            "plugin": _plugin(),
            "preflight": _dotagent_entry(PREFLIGHT_KEYS, "preflight", 30),
            "notifier": _dotagent_entry(NOTIFIER_KEYS, "notify", 15),
            "service": _service(),
            # A service's `health` (devctl.pipeline.health_spec); numbers may be ${config...}.
            "health": health_schema(number=_or_ref),
            # A service's `logs:` and `watch:` (pipeline/log_spec.py), for the service schema to $ref.
            "service_logs": SERVICE_LOG_WATCH["logs"],
            "service_watch": SERVICE_LOG_WATCH["watch"],
        },
    }
