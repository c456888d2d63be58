"""A finding: one problem a checker reports, with how bad it is and what to do about it.

Why one type: `devctl dofek check`, `devctl dotagent doctor`, `dotagent run`'s pre-run check,
the pipeline's preflights and `devctl doctor` all report problems; with one type they are
rendered, counted and serialized (`--json`) the same way, and a script reads every checker's
findings with the same keys. Pure and stdlib-only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: This will fail (a checker exits non-zero on any error finding).
ERROR = "error"
#: It works, but look (fails only under `--strict`, where a command offers it).
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)


@dataclass(frozen=True)
class Finding:
    """One problem. `code` is a stable id (documented per checker), `fix` what to do about it.

    `plugin` and `where` say which plugin use (and which config place) it is about, for the
    checkers that look at several; `details` are extra lines (e.g. every schema error).
    """

    severity: str  # ERROR | WARNING
    message: str
    code: str = ""
    fix: str = ""
    plugin: str = ""
    where: str = ""
    details: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")
        object.__setattr__(self, "details", tuple(self.details))

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def to_json(self) -> dict[str, Any]:
        """`severity`, `code`, `message`, `fix`; plus `plugin`, `where`, `details` when it has a place.

        (The place keys are left out of a finding that has none, so `dofek check --json`,
        whose findings are all about the one plugin it runs, keeps its documented shape.)
        """
        out: dict[str, Any] = {"severity": self.severity, "code": self.code, "message": self.message,
                               "fix": self.fix}
        if self.plugin or self.where:
            out.update(plugin=self.plugin, where=self.where, details=list(self.details))
        return out


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.is_error for f in findings)
