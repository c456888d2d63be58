"""devctl/cli/progress.py and up_progress.py: which display, and what each event reads as."""

import json

import pytest

from devctl.cli.progress import PipelineProgress, in_ci, resolve, step_line, step_verdict
from devctl.cli.up_progress import UpProgress

#: The consoles fixture (tests/unit/cli/conftest.py) is this wide here.
CONSOLE_COLUMNS = 200


@pytest.mark.parametrize(("value", "ci"), [("true", True), ("1", True), ("", False), ("false", False),
                                           ("0", False), ("no", False)])
def test_ci_is_any_value_but_an_explicit_no(monkeypatch, value, ci):
    monkeypatch.setenv("CI", value)
    assert in_ci() is ci


def test_auto_is_plain_when_piped_and_explicit_modes_win(consoles, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert resolve("auto") == "plain"  # stderr is captured here: not a terminal
    assert resolve("json") == "json" and resolve("live") == "live"


def test_steps_say_skipped_and_failed_in_their_own_words():
    assert step_verdict({"ok": True}) == "ok"
    assert step_verdict({"ok": True, "skipped": True}) == "skipped"
    assert step_verdict({"ok": False, "error": {"code": "E_X", "message": "disk full"}}) == "FAILED disk full"
    assert step_line({"name": "initdb", "ok": True, "skipped": True, "message": "exists"}) == \
        "step initdb skipped: exists"
    assert step_line({"name": "compile", "ok": True, "duration_ms": 3020}) == "step compile ok in 3.02 s"


def test_plain_lines_for_each_event(consoles):
    with PipelineProgress("plain") as shown:
        shown.event({"event": "phase_start", "phase": "build.run"})
        shown.event({"event": "plugin_start", "phase": "build.run", "plugin": "app"})
        shown.event({"event": "step", "phase": "build.run", "plugin": "app", "name": "compile", "ok": True,
                     "message": "12 files"})
        shown.event({"event": "phase_end", "phase": "build.run", "ok": False, "duration_ms": 1500})
    assert consoles.readouterr().err.splitlines() == [
        "build.run: started", "build.run: plugin app started",
        "build.run: plugin app: step compile ok: 12 files", "build.run: FAILED in 1.50 s"]


def test_json_mode_writes_one_event_per_line_on_stdout(consoles):
    with PipelineProgress("json", t0=0) as shown:
        shown.event({"event": "phase_start", "phase": "launch.plan"})
    progress = UpProgress(["web"], 100.0, mode="json")
    with progress:
        progress.update({"web": {"state": "starting"}})
        progress.update({"web": {"state": "starting"}})  # no change: no event
        progress.update({"web": {"state": "healthy", "ready_at": 100.5}})
    progress.finish("ready", services=["web"])
    shown_out = consoles.readouterr()
    events = [json.loads(line) for line in shown_out.out.splitlines()]
    assert [e["event"] for e in events] == ["phase_start", "service", "ready"]
    assert events[1]["state"] == "healthy" and events[1]["text"] == "starting → healthy in 0.5 s"
    assert shown_out.err == ""


@pytest.mark.parametrize("env", [{}, {"TTY_COMPATIBLE": "1"}, {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"},
                                 {"FORCE_COLOR": "1"}, {"FORCE_COLOR": ""}, {"TTY_COMPATIBLE": "2"}])
def test_terminal_check_without_rich_agrees_with_rich(monkeypatch, env):
    from rich.console import Console

    from devctl.cli.progress import stderr_is_terminal

    for name in ("TTY_COMPATIBLE", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert stderr_is_terminal() is Console(stderr=True).is_terminal


def test_plain_lines_read_as_rich_would_print_them(consoles):
    from rich.text import Text

    from devctl.cli.output import err
    from devctl.cli.progress import plain_line

    line = "build.run: plugin app: step x ok: 50%\r\x07done \x1b[31m[red]red[/red] ünï"
    err().print(Text(line), soft_wrap=True)
    by_rich = consoles.readouterr().err
    plain_line(line)
    assert consoles.readouterr().err == by_rich


def test_up_progress_piped_is_one_aligned_line_per_change_without_rich(consoles):
    """Piped (plain mode) `up` writes its lines itself: name padded to the longest, then the state."""
    progress = UpProgress(["db", "web-[x]"], 100.0, live=False)
    with progress:
        web = {"state": "waiting", "depends_on": ["db"]}
        progress.update({"db": {"state": "starting"}, "web-[x]": web})
        progress.update({"db": {"state": "healthy", "ready_at": 100.25}, "web-[x]": web})
    assert consoles.readouterr().err.splitlines() == [
        "web-[x]  waiting for db", "db       starting → healthy in 0.2 s"]
    assert progress._live is None


def test_up_progress_looks_again_only_at_the_services_whose_record_is_new(consoles, monkeypatch):
    """`up.wait` hands a new record object only for the service an event names: the others'
    lines are not made again (50 services × ~100 events made the wait quadratic)."""
    import devctl.cli.up_progress as up_progress

    made: list[str] = []
    real = up_progress.progress_line

    def counting(svc, t0):
        made.append(svc["name"])
        return real(svc, t0)

    monkeypatch.setattr(up_progress, "progress_line", counting)
    names = [f"s{i}" for i in range(50)]
    records = {n: {"name": n, "state": "starting"} for n in names}
    progress = UpProgress(names, 100.0, live=False)
    with progress:
        progress.update(records)
        records = {**records, "s7": {"name": "s7", "state": "healthy", "ready_at": 100.5}}
        progress.update(records)
        progress.update(dict(records))  # the same objects again: nothing to look at
    assert made == [*names, "s7"]
    assert consoles.readouterr().err.splitlines()[-1] == "s7   starting → healthy in 0.5 s"
