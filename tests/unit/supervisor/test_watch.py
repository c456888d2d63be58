"""Which changed paths restart a watched service, and which directories are watched."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from devctl.procs import tasks
from devctl.supervisor.watch import glob_regex, matcher, roots, run_watchers


def spec(paths, ignore=()):
    return {"paths": list(paths), "ignore": list(ignore), "debounce_ms": 100}


def test_glob_regex():
    assert glob_regex("/r/src/**/*.py").fullmatch("/r/src/a/b/c.py")
    assert glob_regex("/r/src/**/*.py").fullmatch("/r/src/c.py")
    assert not glob_regex("/r/src/*.py").fullmatch("/r/src/a/c.py")
    assert glob_regex("/r/src").fullmatch("/r/src/deep/file")  # a directory covers what is below
    assert not glob_regex("/r/src").fullmatch("/r/srcx")
    assert glob_regex("/r/f?.[ch]").fullmatch("/r/f1.h")
    assert not glob_regex("/r/f?.[!ch]").fullmatch("/r/f1.h")


def test_matcher_paths_ignores_and_the_state_dir(tmp_path):
    cwd = str(tmp_path / "app")
    m = matcher(spec(["src", "*.toml", "conf/app.yaml"], ignore=["*.tmp", "node_modules", "src/gen/**"]),
                cwd, tmp_path / "app" / ".devctl")
    assert m(f"{cwd}/src/main.py")
    assert m(f"{cwd}/deep/er/pyproject.toml")  # a glob without '/': any depth
    assert m(f"{cwd}/conf/app.yaml")
    assert not m(f"{cwd}/conf/other.yaml")
    assert not m(f"{cwd}/src/main.py.tmp")
    assert not m(f"{cwd}/src/node_modules/x.js")
    assert not m(f"{cwd}/src/gen/out.py")
    assert not m(f"{cwd}/README.md")
    everything = matcher(spec(["."]), cwd, tmp_path / "app" / ".devctl")
    assert everything(f"{cwd}/any/file")
    assert not everything(f"{cwd}/.devctl/logs/app.stdout.log")  # its own logs never restart it


def test_roots_are_existing_directories_without_nesting(tmp_path):
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "app.yaml").write_text("")
    cwd = str(tmp_path)
    assert roots(spec(["src/**/*.py", "src/pkg", "conf/app.yaml"]), cwd) == [str(tmp_path / "conf"),
                                                                               str(tmp_path / "src")]
    assert roots(spec(["*.py"]), cwd) == [cwd]
    assert roots(spec(["later/dir/**"]), cwd) == [cwd]  # not there yet: its nearest ancestor
    assert roots(spec([str(Path(cwd) / "src")]), "/elsewhere") == [str(tmp_path / "src")]


def test_a_watcher_that_fails_is_reported_and_the_supervisor_goes_on(monkeypatch, tmp_path, capsys):
    import watchfiles

    from devctl.supervisor.watch import _watch_one

    def no_more_watches(*_args, **_kwargs):
        raise OSError(28, "OS file watch limit reached")

    monkeypatch.setattr(watchfiles, "watch", no_more_watches)
    emitted = []
    sup = SimpleNamespace(paths=SimpleNamespace(state_dir=tmp_path / ".devctl"),
                          events=SimpleNamespace(emit=lambda *a, **k: emitted.append((a, k))))

    async def main():
        with tasks.fail_after(10):
            await _watch_one(sup, "worker", spec(["."]), str(tmp_path), threading.Event())  # no raise

    tasks.run(main)
    assert emitted == [(("worker", "watch_failed"), {"error": "[Errno 28] OS file watch limit reached"})]
    assert "watch of service 'worker' stopped" in capsys.readouterr().err
    assert _watch_threads() == []


# ---- real watchers (inotify, no processes) on a fake supervisor ------------------------------


def _watch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("devctl-watch-")]


class FakeSup:
    """What the watchers use of `Supervisor`: services with a spec and `wanted`, the shutdown
    and plan events, `stop`/`start` (recorded), the event log (recorded)."""

    def __init__(self, tmp_path: Path, watched: dict[str, Any]):
        self.paths = SimpleNamespace(state_dir=tmp_path / ".devctl")
        self.services = {name: SimpleNamespace(spec={"watch": w, "cwd": str(tmp_path)}, wanted=True)
                         for name, w in watched.items()}
        self.shutdown_requested = tasks.Event()
        self.plan_replaced = tasks.Event()
        self.emitted: list[tuple[Any, ...]] = []
        self.calls: list[tuple[str, list[str]]] = []
        self.events = SimpleNamespace(emit=lambda *a, **k: self.emitted.append((*a, k)))

    async def stop(self, names: list[str]) -> None:
        self.calls.append(("stop", names))

    def start(self, names: list[str]) -> None:
        self.calls.append(("start", names))


async def _until(check, seconds: float = 20.0) -> None:
    with tasks.fail_after(seconds):
        while not check():
            await tasks.sleep(0.02)


def test_a_change_restarts_the_service_and_shutdown_leaves_no_thread(tmp_path):
    """A file written under a watched path: a `watch_restart` naming it, then stop and start.
    Once `run_watchers` has returned (shutdown) no watcher thread is left."""
    (tmp_path / "src").mkdir()
    sup = FakeSup(tmp_path, {"api": spec(["src"]) | {"debounce_ms": 20}})

    async def main():
        async with tasks.create_task_group() as tg:
            tg.start_soon(run_watchers, sup)
            await _until(lambda: _watch_threads())
            # the thread is up, but its inotify watch may not be yet: write until it is seen
            for i in range(200):
                (tmp_path / "src" / "app.py").write_text(str(i))
                (tmp_path / "README").write_text(str(i))  # not watched
                with tasks.move_on_after(0.1):
                    await _until(lambda: sup.calls)
                if sup.calls:
                    break
            await _until(lambda: len(sup.calls) == 2)
            sup.shutdown_requested.set()

    tasks.run(main)
    assert sup.calls == [("stop", ["api"]), ("start", ["api"])]
    name, event, fields = sup.emitted[0]
    assert (name, event, fields["paths"]) == ("api", "watch_restart", ["src/app.py"])
    assert _watch_threads() == []


def test_a_watcher_cancelled_while_its_thread_waits_stops_the_thread(tmp_path):
    """The supervisor's task group cancelled (no `stop` set first): the task sets it on its way
    out and waits for its thread, which sees it within one step."""
    sup = FakeSup(tmp_path, {"api": spec(["."]) | {"debounce_ms": 20}})

    async def main():
        async with tasks.create_task_group() as tg:
            tg.start_soon(run_watchers, sup)
            await _until(lambda: _watch_threads())
            await tasks.sleep(0.1)  # into watchfiles' wait for changes
            tg.cancel_scope.cancel()

    tasks.run(main)
    assert _watch_threads() == [] and sup.calls == [] and sup.emitted == []


def test_a_changed_plan_stops_the_old_watcher_and_starts_the_new_one(tmp_path):
    sup = FakeSup(tmp_path, {"api": spec(["a"]) | {"debounce_ms": 20}})
    seen: list[list[str]] = []

    async def main():
        async with tasks.create_task_group() as tg:
            tg.start_soon(run_watchers, sup)
            await _until(lambda: len(_watch_threads()) == 1)
            first = _watch_threads()[0]
            seen.append([t.name for t in _watch_threads()])
            sup.services["api"].spec["watch"] = spec(["b"]) | {"debounce_ms": 20}
            sup.services["web"] = SimpleNamespace(spec={"watch": None, "cwd": str(tmp_path)}, wanted=True)
            sup.plan_replaced.set()
            sup.plan_replaced = tasks.Event()
            await _until(lambda: not first.is_alive() and len(_watch_threads()) == 1)
            seen.append([t.name for t in _watch_threads()])
            sup.shutdown_requested.set()

    tasks.run(main)
    assert seen == [["devctl-watch-api"], ["devctl-watch-api"]]
    assert _watch_threads() == []


def test_a_thread_that_does_not_stop_is_waited_for_a_bounded_time(monkeypatch, tmp_path):
    """A thread stuck where it does not look at `stop` (watchfiles' set-up on a huge tree):
    the supervisor's shutdown waits `THREAD_STOP_S` for it, not until it ends."""
    import watchfiles

    from devctl.supervisor import watch

    stuck, release = threading.Event(), threading.Event()

    def slow_setup(*_args, **_kwargs):
        stuck.set()
        release.wait(30)  # ignores stop_event
        yield from ()

    monkeypatch.setattr(watchfiles, "watch", slow_setup)
    monkeypatch.setattr(watch, "THREAD_STOP_S", 0.2)
    sup = FakeSup(tmp_path, {"api": spec(["."]) | {"debounce_ms": 20}})

    async def main():
        async with tasks.create_task_group() as tg:
            tg.start_soon(run_watchers, sup)
            await _until(stuck.is_set)
            sup.shutdown_requested.set()

    try:
        tasks.run(main)  # returned while the thread still runs
        assert [t.is_alive() for t in _watch_threads()] == [True]
    finally:
        release.set()
        for thread in _watch_threads():
            thread.join(10)
    assert _watch_threads() == [] and sup.calls == [] and sup.emitted == []
