"""The pipeline: run the plugins' phases in order and merge what they return.

`config.mutate → build.run → prepare.run → validate.run → launch.plan`. The pure parts
(patches, merges, service checks) live in their own modules; `runner` is the one place that
talks to plugins. See docs/dev/contracts.md for the interface other parts rely on.
"""

from __future__ import annotations

from devctl.util.records import Fields

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing this package stays cheap
if TYPE_CHECKING:  # types only
    from typing import Any

    from devctl.pipeline.services import ServiceSpec

#: Every phase, in the order it runs. A command runs a subset, always in this order.
PHASES: tuple[str, ...] = ("config.mutate", "build.run", "prepare.run", "validate.run", "launch.plan")


# The two records below are plain classes (`devctl.util.records.Fields`), not dataclasses:
# `dataclasses` pulls `inspect` (10-25 ms on the 2-core box) into `plan`, `up` and every plugin
# command, and each `@dataclass` compiles its methods at import. Same fields, same defaults,
# keyword or positional; equal by fields; `devctl.util.records.replace` copies one with changes.


class PipelineOptions(Fields):
    """How to run the pipeline (see docs/dev/contracts.md)."""

    __slots__ = ("phases", "steps", "strict", "dry_run", "timeout", "verbose", "record_as")
    phases: tuple[str, ...]
    steps: list[str]  # --step, passed to build.run / prepare.run
    strict: bool
    dry_run: bool
    timeout: float  # seconds, one deadline per phase across all plugins
    verbose: int
    #: The command whose run is recorded in `.devctl/pipeline.json` (`up`, `plan`); None: no record.
    record_as: str | None

    def __init__(self, phases: tuple[str, ...] = PHASES, steps: list[str] | None = None, strict: bool = False,
                 dry_run: bool = False, timeout: float = 30.0, verbose: int = 0,
                 record_as: str | None = None) -> None:
        self.phases = phases
        self.steps = [] if steps is None else steps
        self.strict = strict
        self.dry_run = dry_run
        self.timeout = timeout
        self.verbose = verbose
        self.record_as = record_as


class PipelineResult(Fields):
    """What a pipeline run produced (see docs/dev/contracts.md)."""

    __slots__ = ("config", "steps", "artifacts", "valid", "errors", "warnings", "services", "notes",
                 "collisions")
    config: dict[str, Any]
    steps: list[dict[str, Any]]
    artifacts: dict[str, Any]
    valid: bool
    errors: list[dict[str, Any]]  # each with plugin, code, message
    warnings: list[dict[str, Any]]
    services: list[ServiceSpec]  # normalized, merged order
    notes: list[str]  # collision warnings etc. (non-strict)
    #: The step and service name collisions behind some of the notes, as data (`devctl doctor`).
    collisions: list[dict[str, Any]]

    def __init__(self, config: dict[str, Any] | None = None, steps: list[dict[str, Any]] | None = None,
                 artifacts: dict[str, Any] | None = None, valid: bool = True,
                 errors: list[dict[str, Any]] | None = None, warnings: list[dict[str, Any]] | None = None,
                 services: list[ServiceSpec] | None = None, notes: list[str] | None = None,
                 collisions: list[dict[str, Any]] | None = None) -> None:
        self.config = {} if config is None else config
        self.steps = [] if steps is None else steps
        self.artifacts = {} if artifacts is None else artifacts
        self.valid = valid
        self.errors = [] if errors is None else errors
        self.warnings = [] if warnings is None else warnings
        self.services = [] if services is None else services
        self.notes = [] if notes is None else notes
        self.collisions = [] if collisions is None else collisions


def __getattr__(name: str) -> object:
    # `run_pipeline` pulls in the plugin host; importing the types above must stay cheap.
    if name == "run_pipeline":
        from devctl.pipeline import runner

        return getattr(runner, name)
    raise AttributeError(name)


__all__ = ["PHASES", "PipelineOptions", "PipelineResult", "run_pipeline"]
