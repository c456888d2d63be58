"""`dotagent doctor`: check every plugin the given manifests and `.devctl.yaml` refer to.

Findings are errors (this will fail at run time) or warnings (it works, but look). A
manifest that does not load is itself an error finding, so one run reports everything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devctl.dotagent.events import NOTIFY_EVENTS, check_events
from devctl.dotagent.use_check import check_use
from devctl.errors import ConfigError
from devctl.findings import ERROR, WARNING, Finding

if TYPE_CHECKING:
    from devctl.config import Config


@dataclass(frozen=True)
class UseRef:
    """One place that uses a plugin, from a manifest or from `.devctl.yaml`."""

    plugin: str
    kind: str | tuple[str, ...]  # several: the first the plugin declares is used
    config: Any
    where: str
    base_dir: Path
    events: tuple[str, ...] = ()


def config_uses(cfg: Config) -> tuple[list[UseRef], list[Finding]]:
    """`preflight:` and `notifiers:` of `.devctl.yaml` as uses (plus problems with their events)."""
    name = cfg.path.name if cfg.path else ".devctl.yaml"
    uses: list[UseRef] = []
    findings: list[Finding] = []
    for i, entry in enumerate(cfg.preflight):
        uses.append(UseRef(str(entry.get("plugin")), "preflight", entry.get("config") or {},
                           f"{name} preflight[{i}]", cfg.repo_root))
    for i, entry in enumerate(cfg.notifiers):
        where = f"{name} notifiers[{i}]"
        events = entry.get("events") or []
        for problem in check_events(events):
            findings.append(Finding(ERROR, f"events: {problem}", plugin=str(entry.get("plugin")),
                                    where=where))
        uses.append(UseRef(str(entry.get("plugin")), "notify", entry.get("config") or {}, where,
                           cfg.repo_root, tuple(events) or NOTIFY_EVENTS))
    return uses, findings


def manifest_uses(path: Path, *, strict: bool = False) -> tuple[list[UseRef], list[Finding], list[str]]:
    """A manifest's plugin uses, its problems as findings (devctl's own rules are warnings,
    errors under `strict`), and the upstream settings it accepts without using."""
    from devctl.dotagent.manifest import UNKNOWN_KEY_RULE, load_manifest

    try:
        m = load_manifest(path)
    except ConfigError as exc:
        return [], [Finding(ERROR, exc.message, plugin="-", where=str(path), details=tuple(exc.details))], []
    findings = [Finding(WARNING, w, plugin="-", where=str(path)) for w in m.warnings]
    findings += [Finding(ERROR if strict else WARNING, w, code=UNKNOWN_KEY_RULE, plugin="-", where=str(path))
                 for w in m.strict_warnings]
    uses = [UseRef(u.plugin, u.kinds if len(u.kinds) > 1 else u.kind, u.config,
                   f"{path.name} {u.where}", path.parent, u.events)
            for u in m.uses()]
    return uses, findings, list(m.ignored)


def run_doctor(
    uses: list[UseRef],
    *,
    env: Mapping[str, str] | None = None,
    system_dirs: Sequence[str] | None = None,
) -> tuple[list[dict[str, Any]], list[Finding]]:
    """Check each use. Returns (one summary row per use, all findings)."""
    rows: list[dict[str, Any]] = []
    findings: list[Finding] = []
    for use in uses:
        checked = check_use(use.plugin, use.config, use.kind, use.where, base_dir=use.base_dir,
                            env=env, system_dirs=system_dirs)
        findings += checked.findings
        plugin = checked.plugin
        rows.append({
            "plugin": use.plugin, "where": use.where,
            "kind": checked.kind or (use.kind if isinstance(use.kind, str) else " or ".join(use.kind)),
            "path": str(plugin.path) if plugin else None,
            "version": plugin.info().version if plugin else None,
            "ok": checked.ok,
        })
    return rows, findings
