"""`.devctl.yaml` `preflight:` entries, run by the pipeline's validate phase.

Each entry `{plugin, config, timeout_s?}` is checked like any plugin use (resolves, `info`,
kind `preflight`, platform, schema, `validate`) and then invoked with event `preflight`.
Anything short of `ok: true` becomes one validation error, with the plugin's `suggest`.

With `dry_run`, everything up to and including `validate` runs, but not `invoke`: the
checks are the plugin's side effects to skip, and a dry run should still catch a broken
preflight config.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from devctl.dotagent.plugin import make_payload
from devctl.dotagent.use_check import check_use

if TYPE_CHECKING:
    from devctl.config import Config

CODE = "E_PREFLIGHT"
SCHEDULE = "devctl"


def run_preflights(cfg: Config, *, dry_run: bool = False) -> list[dict[str, Any]]:
    """Run every `cfg.preflight` entry in order; return validation errors ([] if all pass).

    Each error: {"plugin": "dotagent:<name>", "code": "E_PREFLIGHT", "message": ..., "suggest": ...}.
    All entries run even after a failure, so one `devctl validate` shows every problem.
    """
    errors: list[dict[str, Any]] = []
    name = cfg.path.name if cfg.path else ".devctl.yaml"
    for i, entry in enumerate(cfg.preflight):
        ref = str(entry.get("plugin"))
        config = entry.get("config") or {}
        timeout = entry.get("timeout_s")
        where = f"{name} preflight[{i}]"

        checked = check_use(ref, config, "preflight", where, base_dir=cfg.repo_root)
        if checked.plugin is None:
            first = next(f for f in checked.findings if f.is_error)
            # The pipeline shows only `message`: fold the first few specifics into it.
            specifics = "; ".join(d.lstrip("- ") for d in first.details[:3])
            message = f"{where}: {first.message}" + (f": {specifics}" if specifics else "")
            errors.append(_error(ref, message, None, first.details))
            continue
        if dry_run:
            continue
        payload = make_payload("preflight", cfg.repo_root.name, SCHEDULE, "preflight", None, config)
        outcome = checked.plugin.invoke(payload, timeout=timeout)
        if not outcome.ok:
            details = [d for d in outcome.details() if not d.startswith("suggest:")]
            errors.append(_error(ref, f"{where}: preflight {ref} failed: {outcome.error}", outcome.suggest,
                                 details))
    return errors


def _error(ref: str, message: str, suggest: str | None, details: list[str]) -> dict[str, Any]:
    item: dict[str, Any] = {"plugin": f"dotagent:{ref}", "code": CODE, "message": message, "suggest": suggest}
    if details:
        item["details"] = details
    return item
