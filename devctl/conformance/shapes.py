"""What a minimal request for each op looks like, and whether the answer has the right shape.

The shape rules are the pipeline's own where it has them (config patches, services), so a
plugin that passes `devctl plugins check` is a plugin `devctl plan` accepts. Each check returns
a problem string (or None) and each op has the fix a plugin author needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from devctl.errors import DevctlError

#: Pipeline ops first, in pipeline order; then commands; anything else after.
KNOWN_ORDER = ("config.mutate", "build.run", "prepare.run", "validate.run", "launch.plan",
               "commands.list", "command.run")

FIXES = {
    "config.mutate": 'answer {"config_patch": {"set": {"dotted.key": value}, "unset": ["dotted.key"]}}',
    "build.run": 'answer {"steps": [{"name": "...", "ok": true}], "artifacts": {}}',
    "prepare.run": 'answer {"steps": [{"name": "...", "ok": true}], "artifacts": {}}',
    "validate.run": 'answer {"valid": true|false, "errors": [{"code", "message"}], "warnings": []}',
    "launch.plan": 'answer {"services": [{"name": "web", "command": ["argv", "..."]}]}',
    "commands.list": 'answer {"commands": [{"name": "db-reset", "help": "one line"}]} with names made of '
                     "letters, digits, '-', '_', ':' (not starting with '-')",
    "command.run": 'answer {"exit_code": 0} (an integer) once the command is done',
}
STREAM_FIX = ('answer {"stream_id": "s1"}, then write events {"type": "event", "stream_id": "s1", '
              '"event": "..."} and finish with {"event": "end", "ok": true|false}')
GENERIC_FIX = 'answer {"type": "response", "request_id": <the request\'s>, "ok": true, "output": {...}}'


def order(ops: list[str]) -> list[str]:
    known = [op for op in KNOWN_ORDER if op in ops]
    return known + sorted(op for op in ops if op not in KNOWN_ORDER)


def minimal_input(op: str, command: str | None = None,
                  config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The input devctl would send this plugin alone: the config its own config.mutate produced
    (empty if it has none), no requested steps, and `--help` for a command."""
    config = dict(config or {})
    if op in ("build.run", "prepare.run"):
        return {"config": config, "steps": []}
    if op == "commands.list":
        return {}
    if op == "command.run":
        return {"name": command or "", "argv": ["--help"], "config": config}
    return {"config": config}


def mutated_config(output: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The config after applying a (valid) config.mutate output to `base` (default: empty)."""
    from devctl.pipeline.patch import apply_patch

    return apply_patch(dict(base or {}), output.get("config_patch"), "check")


def output_problem(op: str, output: dict[str, Any], repo_root: Path) -> str | None:
    """Why `output` is not a valid answer to `op`, or None."""
    try:
        if op == "config.mutate":
            from devctl.pipeline.patch import apply_patch

            apply_patch({}, output.get("config_patch"), "check")
        elif op in ("build.run", "prepare.run"):
            return _steps_problem(output)
        elif op == "validate.run":
            return _validate_problem(output)
        elif op == "launch.plan":
            return _services_problem(output, repo_root)
        elif op == "commands.list":
            return _commands_problem(output)
        elif op == "command.run":
            code = output.get("exit_code")
            if isinstance(code, bool) or not isinstance(code, int):
                return f"output.exit_code must be an integer, got {code!r}"
    except DevctlError as exc:
        return exc.message.replace("plugin 'check': ", "")
    return None


def _steps_problem(output: dict[str, Any]) -> str | None:
    steps = output.get("steps", [])
    if not isinstance(steps, list):
        return f"output.steps must be a list, got {type(steps).__name__}"
    for i, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("name"), str) or not step["name"]:
            return f"output.steps[{i}] must be an object with a non-empty 'name'"
        if not isinstance(step.get("ok", True), bool):
            return f"output.steps[{i}].ok must be true or false"
    if not isinstance(output.get("artifacts", {}), dict):
        return "output.artifacts must be an object"
    return None


def _validate_problem(output: dict[str, Any]) -> str | None:
    if "valid" in output and not isinstance(output["valid"], bool):
        return f"output.valid must be true or false, got {output['valid']!r}"
    for key in ("errors", "warnings"):
        items = output.get(key, [])
        if not isinstance(items, list):
            return f"output.{key} must be a list"
        for i, item in enumerate(items):
            if not isinstance(item, (dict, str)):
                return f"output.{key}[{i}] must be an object with code and message"
    return None


def _services_problem(output: dict[str, Any], repo_root: Path) -> str | None:
    from devctl.pipeline.services import normalize_service

    services = output.get("services")
    if not isinstance(services, list):
        return f"output.services must be a list, got {type(services).__name__}"
    for i, raw in enumerate(services):
        normalize_service(raw, "check", repo_root, index=i)
    return None


def _commands_problem(output: dict[str, Any]) -> str | None:
    from devctl.plugin_commands.names import parse_listing

    listing = parse_listing("check", 0, output)
    if listing.error:
        return listing.error.replace("plugin 'check': ", "")
    if listing.skipped:
        return "; ".join(listing.skipped)
    return None


def command_names(output: dict[str, Any]) -> list[str]:
    from devctl.plugin_commands.names import parse_listing

    return [c["name"] for c in parse_listing("check", 0, output).commands]
