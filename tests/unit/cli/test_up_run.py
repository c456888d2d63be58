"""`up` forks its supervisor-to-be before the parse of `.devctl.yaml` when there is one, and
after the plugins' spawn otherwise (devctl/cli/up_run.py); it is abandoned whatever happens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devctl.cli import up_run
from devctl.cli.context import AppContext
from devctl.config import loader
from devctl.errors import ConfigError


class Stop(Exception):
    """Ends `run_up` where the pipeline would start."""


class FakeEarly:
    def __init__(self, events: list[str]):
        self.events = events

    def abandon(self) -> None:
        self.events.append("abandoned")


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real_parse = loader.parse_file

    def parse_file(path: Path, root: Path) -> Any:
        seen.append("parse")
        return real_parse(path, root)

    def fork(paths: Any, dry: bool) -> FakeEarly:
        seen.append("fork")
        return FakeEarly(seen)

    def up(*args: Any, **kwargs: Any) -> int:
        seen.append("pipeline")
        raise Stop

    monkeypatch.setattr(loader, "parse_file", parse_file)
    monkeypatch.setattr(up_run, "_fork_supervisor_early", fork)
    monkeypatch.setattr(up_run, "_up", up)
    return seen


def test_the_supervisor_forks_before_a_parse_and_after_a_cache_hit(tmp_path: Path,
                                                                    events: list[str]) -> None:
    (tmp_path / ".devctl.yaml").write_text("services:\n  web:\n    command: [sleep, '5']\n")
    with pytest.raises(Stop):
        up_run.run_up(AppContext(repo_root_opt=tmp_path))
    assert events == ["fork", "parse", "pipeline", "abandoned"]
    events.clear()
    with pytest.raises(Stop):
        up_run.run_up(AppContext(repo_root_opt=tmp_path))  # the parse cache holds it now
    assert events == ["fork", "pipeline", "abandoned"]


def test_a_config_that_does_not_parse_abandons_the_supervisor_forked_for_it(tmp_path: Path,
                                                                          events: list[str]) -> None:
    (tmp_path / ".devctl.yaml").write_text("services:\n  web: [\n")
    with pytest.raises(ConfigError, match=r"\.devctl\.yaml:\d+: invalid YAML"):
        up_run.run_up(AppContext(repo_root_opt=tmp_path))
    assert events == ["fork", "parse", "abandoned"]
