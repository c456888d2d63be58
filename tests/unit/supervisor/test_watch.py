"""Which changed paths restart a watched service, and which directories are watched."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from devctl.supervisor.watch import glob_regex, matcher, roots


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
    import anyio
    import watchfiles

    from devctl.supervisor.watch import _watch_one

    def no_more_watches(*_args, **_kwargs):
        raise OSError(28, "OS file watch limit reached")

    monkeypatch.setattr(watchfiles, "awatch", no_more_watches)
    emitted = []
    sup = SimpleNamespace(paths=SimpleNamespace(state_dir=tmp_path / ".devctl"),
                          events=SimpleNamespace(emit=lambda *a, **k: emitted.append((a, k))))

    async def main():
        await _watch_one(sup, "worker", spec(["."]), str(tmp_path), anyio.Event())  # returns, no raise

    anyio.run(main)
    assert emitted == [(("worker", "watch_failed"), {"error": "[Errno 28] OS file watch limit reached"})]
    assert "watch of service 'worker' stopped" in capsys.readouterr().err
