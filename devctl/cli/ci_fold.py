"""Folding a block of log lines for the CI system devctl runs under (pure; no I/O).

`devctl run` prints every service's log when it fails under `CI=true`. A job log with five
services' output in one piece is hard to read, so each service becomes a collapsible section
where the CI system has them:

- GitHub Actions (`GITHUB_ACTIONS=true`): `::group::TITLE` … `::endgroup::`
  (https://docs.github.com/actions/reference/workflow-commands-for-github-actions).
- GitLab CI (`GITLAB_CI=true`): `section_start:<unix time>:<id>[collapsed=true]\\r\\e[0K<title>`
  … `section_end:<unix time>:<id>\\r\\e[0K` (https://docs.gitlab.com/ee/ci/jobs/#custom-collapsible-sections);
  the id may only hold letters, digits, `_`, `.` and `-`.
- Anything else: a plain `===== title =====` header, so a human still finds each service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import Enum

_TRUE = ("1", "true", "yes", "on")
_GITLAB_ID = re.compile(r"[^A-Za-z0-9_.-]")
#: GitLab's "erase line" after the carriage return hides the marker itself in the job log.
_ERASE = "\r\x1b[0K"


class Folding(Enum):
    GITHUB = "github"
    GITLAB = "gitlab"
    PLAIN = "plain"


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in _TRUE


def in_ci(env: Mapping[str, str]) -> bool:
    """`CI` set to true (GitHub Actions, GitLab CI, CircleCI, Travis … all set it)."""
    return _flag(env, "CI")


def folding(env: Mapping[str, str]) -> Folding:
    """Which folding markers this environment understands."""
    if _flag(env, "GITHUB_ACTIONS"):
        return Folding.GITHUB
    if _flag(env, "GITLAB_CI"):
        return Folding.GITLAB
    return Folding.PLAIN


def _one_line(text: str) -> str:
    """A title is one line: a newline would end GitHub's command or GitLab's marker early."""
    return " ".join(text.split())


def section_id(title: str, index: int) -> str:
    """A GitLab section id from a title: allowed characters only, unique by position."""
    return f"devctl_{index}_{_GITLAB_ID.sub('_', title)}"[:100]


def fold(kind: Folding, title: str, lines: Sequence[str], *, index: int = 0, now: int = 0) -> list[str]:
    """`lines` inside one collapsible section titled `title`; `now` is GitLab's unix timestamp."""
    title = _one_line(title)
    if kind is Folding.GITHUB:
        # A log line that itself reads `::endgroup::` would close the group early: GitHub's
        # `::stop-commands::` escape is heavier than the risk, so such lines are indented.
        body = [f" {line}" if line.startswith("::") else line for line in lines]
        return [f"::group::{title}", *body, "::endgroup::"]
    if kind is Folding.GITLAB:
        sid = section_id(title, index)
        return [f"section_start:{now}:{sid}[collapsed=true]{_ERASE}{title}", *lines,
                f"section_end:{now}:{sid}{_ERASE}"]
    return [f"===== {title} =====", *lines, f"===== end of {title} ====="]
