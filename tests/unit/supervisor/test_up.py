"""The go / no-go decisions of `devctl up`, without a supervisor or a pipeline."""

import pytest

from devctl.errors import DevctlError
from devctl.supervisor.paths import Paths
from devctl.supervisor.up import Next, Preflight, decide, next_step, preflight


def test_dry_run_looks_at_nothing_and_clears_nothing():
    pre = decide(dry=True, force=False, running=True, orphans=["web"])
    assert pre == Preflight(dry=True, clear_first=False)


def test_already_up_needs_force():
    with pytest.raises(DevctlError, match="already up.*devctl up --force") as caught:
        decide(dry=False, force=False, running=True, orphans=None)
    assert caught.value.exit_code == 1
    assert decide(dry=False, force=True, running=True, orphans=None) == Preflight(dry=False, clear_first=True)


def test_orphans_of_a_dead_supervisor_need_force_and_are_named():
    with pytest.raises(DevctlError, match=r"still running without their supervisor \(web, db\)"):
        decide(dry=False, force=False, running=False, orphans=["web", "db"])
    assert decide(dry=False, force=True, running=False, orphans=["web"]).clear_first


def test_leftover_state_with_nothing_alive_is_cleared_without_force():
    assert decide(dry=False, force=False, running=False, orphans=[]) == Preflight(dry=False, clear_first=True)


def test_a_clean_repo_starts_without_clearing():
    pre = decide(dry=False, force=False, running=False, orphans=None)
    assert pre == Preflight(dry=False, clear_first=False)
    assert decide(dry=False, force=True, running=False, orphans=None).clear_first is False


def test_preflight_of_an_empty_state_dir(tmp_path):
    assert preflight(Paths(tmp_path), dry=False, force=False) == Preflight(dry=False, clear_first=False)
    assert preflight(Paths(tmp_path), dry=True, force=False).dry


@pytest.mark.parametrize(
    ("dry", "services", "expected"),
    [(False, [], Next.NOTHING), (True, [], Next.NOTHING), (True, [{"name": "web"}], Next.SHOW),
     (False, [{"name": "web"}], Next.START)],
)
def test_after_the_pipeline(dry, services, expected):
    assert next_step(Preflight(dry=dry, clear_first=False), services) is expected


def test_a_failure_shows_both_tails_with_paths_relative_to_where_you_are(tmp_path, monkeypatch):
    """Regression (issue 15): the log paths in a start-up failure were relative to the repo root,
    so from a subdirectory they named files that are not there."""
    from devctl.supervisor.up import failure

    paths = Paths(tmp_path)
    paths.log("web", "stdout").parent.mkdir(parents=True)
    paths.log("web", "stdout").write_text("listening\nport 80 is taken\n")
    paths.log("web", "stderr").write_text("")
    (tmp_path / "src").mkdir()
    monkeypatch.chdir(tmp_path / "src")
    message, details = failure(paths, {"name": "web", "state": "failed", "error": "exited with code 1"})
    assert message == "service 'web' failed to start: exited with code 1"
    assert details == ["last 2 lines of ../.devctl/logs/web.stdout.log:", "listening", "port 80 is taken",
                       "../.devctl/logs/web.stderr.log is empty"]
