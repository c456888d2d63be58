"""The pipeline: run the plugins' phases in order and merge what they return.

`config.mutate → build.run → prepare.run → validate.run → launch.plan`. The pure parts
(patches, merges, service checks) live in their own modules; `runner` is the one place that
talks to plugins. See docs/dev/contracts.md for the interface other parts rely on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a type only: importing this package stays cheap
    from devctl.pipeline.services import ServiceSpec

#: Every phase, in the order it runs. A command runs a subset, always in this order.
PHASES: tuple[str, ...] = ("config.mutate", "build.run", "prepare.run", "validate.run", "launch.plan")


@dataclass
class PipelineOptions:
    phases: tuple[str, ...] = PHASES
    steps: list[str] = field(default_factory=list)  # --step, passed to build.run / prepare.run
    strict: bool = False
    dry_run: bool = False
    timeout: float = 30.0  # seconds, one deadline per phase across all plugins
    verbose: int = 0
    #: The command whose run is recorded in `.devctl/pipeline.json` (`up`, `plan`); None: no record.
    record_as: str | None = None


@dataclass
class PipelineResult:
    config: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    artifacts: dict[str, Any] = field(default_factory=dict)
    valid: bool = True
    errors: list[dict[str, Any]] = field(default_factory=list)  # each with plugin, code, message
    warnings: list[dict[str, Any]] = field(default_factory=list)
    services: list[ServiceSpec] = field(default_factory=list)  # normalized, merged order
    notes: list[str] = field(default_factory=list)  # collision warnings etc. (non-strict)
    #: The step and service name collisions behind some of the notes, as data (`devctl doctor`).
    collisions: list[dict[str, Any]] = field(default_factory=list)


def __getattr__(name: str) -> Any:
    # `run_pipeline` pulls in the plugin host; importing the types above must stay cheap.
    if name in ("run_pipeline", "run_pipeline_sync"):
        from devctl.pipeline import runner

        return getattr(runner, name)
    raise AttributeError(name)


__all__ = ["PHASES", "PipelineOptions", "PipelineResult", "run_pipeline", "run_pipeline_sync"]
