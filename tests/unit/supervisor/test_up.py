"""The go / no-go decisions of `devctl up`, without a supervisor or a pipeline."""

import pytest

from devctl.errors import DevctlError
from devctl.supervisor.paths import Paths
from devctl.supervisor.up import Next, Preflight, decide, next_step, preflight, select


def test_dry_run_clears_nothing():
    pre = decide(dry=True, force=False, running=False, orphans=["web"])
    assert pre == Preflight(dry=True, clear_first=False)
    # With a supervisor running, a dry run asks it what would change (with --force too).
    assert decide(dry=True, force=True, running=True, orphans=None) == Preflight(
        dry=True, clear_first=False, apply=True)


def test_already_up_applies_the_new_plan_and_force_restarts_everything():
    assert decide(dry=False, force=False, running=True, orphans=None) == Preflight(
        dry=False, clear_first=False, apply=True)
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


def _spec(name, *deps):
    return {"name": name, "depends_on": list(deps)}


def test_select_takes_the_named_services_and_what_they_need_in_plan_order():
    plan = [_spec("db"), _spec("cache"), _spec("api", "db"), _spec("web", "api")]
    assert [s["name"] for s in select(plan, ["web"])] == ["db", "api", "web"]
    assert select(plan, []) == plan
    with pytest.raises(DevctlError, match=r"no such service in the plan: nope \(planned: db, ca") as caught:
        select(plan, ["nope"])
    assert caught.value.exit_code == 2
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


def test_a_normalized_plan_is_checked_without_being_normalized_again(monkeypatch, tmp_path):
    """`up` hands the pipeline's plan (normalized by `_plan`) to `check_before_start`: the
    commands and ports are checked, the plan is not built again (3 ms at 50 services)."""
    from devctl.supervisor import plan
    from devctl.supervisor.up import check_before_start, prepare

    checked: list[str] = []
    monkeypatch.setattr(plan, "check_commands", lambda svcs: checked.append("commands"))
    monkeypatch.setattr(plan, "check_ports", lambda svcs: checked.append("ports"))
    ordered = [_spec("db")]

    def no_normalize(*_a):
        raise AssertionError("normalized again")

    monkeypatch.setattr(plan, "normalize", no_normalize)
    assert check_before_start(ordered) is ordered  # type: ignore[arg-type]
    assert checked == ["commands", "ports"]
    with pytest.raises(AssertionError, match="normalized again"):
        prepare([{"name": "db"}], tmp_path)  # a raw plan (tests, `devctl run`) still is
