"""The use check: one plugin *use* (a plugin + a config + the kind it is used as), before relying on it.

The same sequence serves `dotagent doctor`, `dotagent run` (before the first attempt),
the pipeline's preflights and the notifier bridge, so a misconfiguration reads the same
everywhere: resolves → `info` is valid → the kind fits → the platform is supported →
config passes the schema → the plugin's own `validate` says ok. It stops at the first
error, since later checks depend on earlier ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devctl.dotagent.plugin import Plugin, PluginNotFound, open_plugin
from devctl.dotagent.spec import current_platform
from devctl.errors import ConfigError, PluginError
from devctl.findings import ERROR, WARNING, Finding, has_errors

#: Finding code of a plugin that does not resolve (the CLI exits 1 for it, as upstream's does).
NOT_FOUND = "plugin-not-found"


@dataclass
class Checked:
    plugin: Plugin | None
    findings: list[Finding]
    #: The kind the plugin is used as: the first of the accepted kinds it declares.
    kind: str = ""

    @property
    def ok(self) -> bool:
        return self.plugin is not None and not has_errors(self.findings)


def check_use(
    ref: str,
    config: Any,
    kind: str | tuple[str, ...],
    where: str,
    *,
    base_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    system_dirs: Sequence[str] | None = None,
    validate_timeout: float | None = None,
    run_validate: bool = True,
) -> Checked:
    """Check one use; `kind` may list the kinds accepted, in order of preference."""
    findings: list[Finding] = []
    kinds = (kind,) if isinstance(kind, str) else kind

    def fail(message: str, details: list[str] | None = None, code: str = "") -> Checked:
        findings.append(Finding(ERROR, message, code=code, plugin=ref, where=where,
                                details=tuple(details or ())))
        return Checked(None, findings)

    try:
        plugin = open_plugin(ref, base_dir=base_dir, env=env, system_dirs=system_dirs, cwd=base_dir)
    except PluginNotFound as exc:
        return fail(exc.message, exc.details, code=NOT_FOUND)
    except ConfigError as exc:
        return fail(exc.message, exc.details)
    try:
        info = plugin.info()
    except PluginError as exc:
        return fail(f"{exc.message} ({plugin.path})", exc.details)
    used_as = next((k for k in kinds if k in info.kinds), None)
    if used_as is None:
        return fail(f"used as {' or '.join(kinds)}, but the plugin's kinds are {list(info.kinds)}")
    if not info.supports_platform():
        here = current_platform()
        return fail(f"does not support this platform ({here}); it supports {list(info.platforms)}")
    if info.name != plugin.name and "/" not in ref:
        findings.append(Finding(WARNING, f"info names itself {info.name!r}", plugin=ref, where=where))
    if not isinstance(config, dict):
        return fail(f"config must be an object, got {type(config).__name__}")
    checked = plugin.check_config(config)
    if not checked.ok:
        return fail(checked.error or "config does not match the schema", checked.problems)
    if run_validate:
        verdict = plugin.validate(config, timeout=validate_timeout)
        if not verdict.ok:
            return fail(f"validate: {verdict.error}", verdict.details())
        for note in verdict.notes:
            findings.append(Finding(WARNING, f"validate: {note}", plugin=ref, where=where))
    return Checked(plugin, findings, used_as)


def format_findings(findings: list[Finding]) -> list[str]:
    """Plain-text lines (for error details)."""
    lines = []
    for f in findings:
        lines.append(f"{f.severity}: {f.where}: {f.plugin}: {f.message}")
        lines += [f"    {d}" for d in f.details]
    return lines
