"""Services declared in `.devctl.yaml` (`services:`), planned as if a built-in plugin returned them.

Where they stand in the merge: first. They are added at the start of the launch.plan phase,
before any plugin's plan, under the plugin name `.devctl.yaml` (which no real plugin can take:
ids do not start with '.'). So a plugin can add services, depend on declared ones and, by
returning the same name, replace one — under the usual rules (devctl/pipeline/merge.py): the
later wins with a note, or strict mode refuses.

Their values may use the merged config, `${config.web.port}`, filled in after config.mutate:

- `$${` is a literal `${` (compose's escape); a `$` not followed by `{` is just a `$`;
- a value that is exactly one reference takes the referenced value as it is (a number stays a
  number, so `max_restarts: ${config.retries}` works); a reference inside longer text is
  replaced by its text: strings as they are, anything else as JSON (`8080`, `true`, `null`,
  `{"a":1}`); `env` values and `command` items (at any depth: an exec health check's
  `command` too) are always text, converted the same way;
- a reference to a key the merged config does not have is an error naming the file, the line
  and the key.

Everything else is the one validator every plan goes through (`pipeline.services`): its
messages are given the file and line of the field at fault.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from devctl.config import Config
from devctl.config.services_section import TEXT_CHILDREN, DeclaredService
from devctl.errors import ConfigError
from devctl.pipeline.services import SERVICE_KEYS, ServiceSpec, normalize_service

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any

#: The plugin name declared services are merged under (and shown with in `devctl plan`).
PLUGIN = ".devctl.yaml"
#: Keys a declared service may have that are not ServiceSpec keys (read by the validator only).
INPUT_ONLY = ("env_file",)
#: ServiceSpec keys a declared service does not set: the map key is the name; devctl sets plugin.
NOT_SETTABLE = ("name", "plugin")
_WHOLE = re.compile(r"\$\{([^}]*)\}")


def fields() -> tuple[str, ...]:
    """The keys a declared service may have: a plan's service fields, extensions included."""
    return (*(k for k in SERVICE_KEYS if k not in NOT_SETTABLE), *INPUT_ONLY)


def plan(cfg: Config, config: dict[str, Any]) -> list[ServiceSpec]:
    """The declared services, interpolated and checked, in file order."""
    return [_plan_one(svc, config, cfg.repo_root) for svc in cfg.services]


def _plan_one(svc: DeclaredService, config: dict[str, Any], repo_root: Path) -> ServiceSpec:
    known = fields()
    raw: dict[str, Any] = {}
    for key, value in svc.raw.items():
        if key not in known:
            from devctl.util.suggest import unknown_key  # difflib: only for the message

            raise _error(svc, key, unknown_key(key, known) +
                         (" (the key under services: is the name)" if key == "name" else ""))
        if key == "command" and isinstance(value, str):
            import shlex  # only when a declared service writes its command as one string

            try:
                value = shlex.split(value)  # `command: python app.py`: split like a shell, run without one
            except ValueError as exc:
                raise _error(svc, key, f"cannot split {value!r} into words: {exc}") from None
        raw[key] = _expand(value, key, svc, config)
    if "command" not in raw:
        raise _error(svc, "", "missing 'command' (the program and its arguments)")
    try:
        return normalize_service({"name": svc.name, **raw}, PLUGIN, repo_root)
    except ConfigError as exc:
        prefix = f"plugin {PLUGIN!r}: service {svc.name!r}: "
        message = exc.message.removeprefix(prefix)
        raise _error(svc, _where(svc, raw, repo_root, message), message) from None


def _error(svc: DeclaredService, keypath: str, message: str) -> ConfigError:
    where = f"services.{svc.name}" + (f".{keypath}" if keypath and not keypath.startswith("[") else keypath)
    return ConfigError(f"{svc.file}:{svc.line_of(keypath)}: {where}: {message}")


# -- ${config...} ------------------------------------------------------------------------------


def _expand(value: Any, keypath: str, svc: DeclaredService, config: dict[str, Any], *,
            text: bool = False) -> Any:
    """`value` with its references filled in; `text`: it is an item of an `env` map or a
    `command` list (at any depth, so `health.command` too), which stays text."""
    items = keypath.rsplit(".", 1)[-1] in TEXT_CHILDREN
    if isinstance(value, dict):
        return {k: _expand(v, f"{keypath}.{k}", svc, config, text=items) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, f"{keypath}[{i}]", svc, config, text=items) for i, v in enumerate(value)]
    if not isinstance(value, str) or "$" not in value:
        return value
    try:
        expanded = expand(value, config)
    except KeyError as exc:
        raise _error(svc, keypath, str(exc.args[0])) from None
    return _text(expanded) if text else expanded


def expand(text: str, config: dict[str, Any]) -> Any:
    """`text` with every `${config.…}` replaced (see the module docstring). Raises KeyError
    with a readable message for an unknown key, an unclosed `${` or another kind of reference."""
    whole = _WHOLE.fullmatch(text)
    if whole:
        return lookup(whole.group(1), config)
    out: list[str] = []
    i = 0
    while True:
        j = text.find("$", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        if text.startswith("$${", j):
            out.append("${")
            i = j + 3
        elif text.startswith("${", j):
            end = text.find("}", j)
            if end < 0:
                raise KeyError(f"{text!r}: '${{' is never closed by '}}' (write $${{ for a literal ${{)")
            out.append(_text(lookup(text[j + 2:end], config)))
            i = end + 1
        else:
            out.append("$")
            i = j + 1


def lookup(reference: str, config: dict[str, Any]) -> Any:
    """The value `config.a.b` (list items by index: `config.hosts.0`) names in the merged config."""
    ref = reference.strip()
    parts = ref.split(".")
    if parts[0] != "config" or len(parts) < 2 or not all(parts[1:]):
        raise KeyError(f"${{{reference}}}: a reference reads the merged config, as ${{config.KEY}} or "
                       "${config.KEY.SUBKEY} (write $${ for a literal ${)")
    value: Any = config
    for depth, part in enumerate(parts[1:], start=1):
        here = ".".join(parts[:depth])
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            if isinstance(value, dict):
                if value or depth > 1:
                    hint = f"{here} has: {', '.join(sorted(map(str, value))) or 'no keys'}"
                else:
                    hint = "the merged config is empty: no plugin's config.mutate set anything"
            elif isinstance(value, list):
                hint = f"{here} is a list of {len(value)} item(s)"
            else:
                hint = f"{here} is {json.dumps(value)}, not an object"
            raise KeyError(f"${{{reference}}}: the merged config has no key {ref!r} ({hint})")
    return value


def _text(value: Any) -> str:
    """How a referenced value reads inside text: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


# -- which field a validator message is about ----------------------------------------------------


def _where(svc: DeclaredService, raw: dict[str, Any], repo_root: Path, message: str) -> str:
    """The keypath (relative to the service) the validator's `message` is about: the first field
    that fails when checked on its own, then the deepest of its keys the message names."""
    culprit = ""
    for key, value in raw.items():
        probe = {"name": svc.name, "command": ["true"], key: value}
        try:
            normalize_service(probe, PLUGIN, repo_root)
        except ConfigError:
            culprit = key
            break
    if not culprit:
        return ""
    said = re.sub(r"\[(['\"])(.*?)\1\]", r".\2", message)  # env['X'] -> env.X
    named = [p for p in svc.lines if (p == culprit or p.startswith((culprit + ".", culprit + "[")))
             and re.search(rf"(?<![\w.]){re.escape(p)}(?![\w])", said)]
    return max(named, key=len, default=culprit)


def check_dependencies(services: list[ServiceSpec], cfg: Config) -> None:
    """A declared service's `depends_on` names a planned service: said with its line. (The
    generic check runs next and covers plugins' services and cycles.)"""
    names = {s["name"] for s in services}
    declared = {d.name: d for d in cfg.services}
    for svc in services:
        source = declared.get(svc["name"])
        if svc["plugin"] != PLUGIN or source is None:
            continue
        for index, dep in enumerate(svc["depends_on"]):
            if dep not in names:
                keypath = f"depends_on[{index}]" if f"depends_on[{index}]" in source.lines else "depends_on"
                raise _error(source, keypath, f"{dep!r} is not a planned service (planned: "
                             f"{', '.join(sorted(names)) or 'none'})")
