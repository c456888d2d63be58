"""The order of `up`'s first steps (devctl/cli/up_run.py): the supervisor-to-be is forked before
the config is read, so its imports run while the config is parsed, and whatever ends `up`
before the hand-over abandons it. The fork is recorded here, not made."""

from __future__ import annotations

from pathlib import Path

import pytest

from devctl.cli import up_run
from devctl.errors import ConfigError
from devctl.supervisor import early
from devctl.supervisor.paths import Paths


class FakeEarly:
    def __init__(self, root: Path, events: list[str]):
        self.paths = Paths(root)
        self.events = events

    def abandon(self) -> None:
        self.events.append(f"abandon {self.paths.root.name}")


class App:
    """Just what `run_up` asks of the CLI's context before the config is parsed."""

    dry_run = False

    def __init__(self, root: Path, events: list[str]):
        self.root, self.events = root, events

    def repo_root(self) -> Path:
        return self.root

    def load_config(self) -> object:
        self.events.append("config")
        raise ConfigError(".devctl.yaml:4: invalid YAML")


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.delenv("DEVCTL_SUPERVISOR_MODE", raising=False)

    def fork_early(root: Path) -> FakeEarly:
        seen.append(f"fork {root.name}")
        return FakeEarly(root, seen)

    monkeypatch.setattr(early, "fork_early", fork_early)
    return seen


def test_the_supervisor_is_forked_before_the_config_is_read_and_abandoned_on_its_error(
        tmp_path: Path, events: list[str]) -> None:
    with pytest.raises(ConfigError):
        up_run.run_up(App(tmp_path, events))  # type: ignore[arg-type]
    assert events == [f"fork {tmp_path.name}", "config", f"abandon {tmp_path.name}"]


def test_no_early_fork_for_a_dry_run_nor_for_a_root_that_is_not_a_directory(
        tmp_path: Path, events: list[str]) -> None:
    dry = App(tmp_path, events)
    dry.dry_run = True
    with pytest.raises(ConfigError):
        up_run.run_up(dry)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        up_run.run_up(App(tmp_path / "missing", events))  # type: ignore[arg-type]
    assert events == ["config", "config"]
