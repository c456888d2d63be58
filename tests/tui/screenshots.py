"""Make the SVG screenshots of docs/tui.md from a real run on examples/dashboard.

    python -m tests.tui.screenshots [--out docs/img] [--size 110x32]

From the repository root; about a minute. It copies the example to a temporary directory (its
crashing service set to crash within seconds, its flood slowed to a readable rate), runs
`devctl up` there, drives the dashboard headless with Textual's pilot through every view it
has, saves each screen with `App.export_screenshot` as `tui-<view>.svg` (and the `?` help as
`tui-help.svg`), then runs `devctl down`. Views whose module is not there are skipped.

The pictures come from a live run (pids, times and counts differ each time), so they are made
by hand when a view changes, not compared in CI: the text snapshots (`tests/tui/snapshots/`)
are the tests.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from tests.tui.screen import screen_text, wait_until

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "dashboard"


def prepare(tmp: Path) -> Path:
    repo = tmp / "dashboard"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns(".devctl", ".data", "__pycache__"))
    config = repo / ".devctl.yaml"
    config.write_text(config.read_text()
                      .replace('FLAKY_MIN_S: "20"', 'FLAKY_MIN_S: "2"')
                      .replace('FLAKY_MAX_S: "40"', 'FLAKY_MAX_S: "4"')
                      .replace('FLOOD_RATE: "2000"', 'FLOOD_RATE: "20"'))
    return repo


def devctl(repo: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "devctl", "-C", str(repo), *args], check=True, timeout=180,
                   stdout=subprocess.DEVNULL)


async def shoot(repo: Path, out: Path, size: tuple[int, int]) -> list[Path]:
    from devctl.tui.app import DevctlApp
    from devctl.tui.context import TuiContext

    app = DevctlApp(TuiContext(repo, repo / ".devctl.yaml"))
    saved: list[Path] = []

    async def save(pilot: Pilot, name: str, ready: Callable[[str], bool]) -> None:
        await wait_until(pilot, lambda: ready(screen_text(app)), timeout=30, what=f"the {name} screen")
        await pilot.pause(0.3)
        path = out / f"tui-{name}.svg"
        path.write_text(app.export_screenshot(title=f"devctl tui: {name}"), encoding="utf-8")
        saved.append(path)

    async with app.run_test(size=size) as pilot:
        # the crashing service has come back once: the table shows a restart
        await save(pilot, "services", lambda s: "flood" in s and app.snapshot is not None and any(
            svc.get("restarts") for svc in app.snapshot.get("services", [])))
        shown = {v.id for v in app.views}
        # (view, its key, keys pressed once it shows, what the screen must show by then)
        views = [("logs", "2", "", lambda s: "flaky: ERROR" in s),
                 ("events", "3", "", lambda s: "restarting" in s),
                 ("pipeline", "4", "e", lambda s: "data-dir" in s),  # e: every step unfolded
                 ("plugins", "5", "", lambda s: "traffic" in s),
                 ("dofek", "6", "", lambda s: "example healthy" in s)]
        for view, key, then, ready in views:
            if view not in shown:
                continue
            if view == "logs":
                await app.show_logs("flaky")
            else:
                await pilot.press(key)
            if "placeholder" in type(app.view(view)).__name__.lower():
                continue
            if then:
                await pilot.pause(0.5)  # the view has read what it shows
                await pilot.press(*then)
            await save(pilot, view, ready)
        await pilot.press("1", "question_mark")
        await save(pilot, "help", lambda s: "everywhere" in s)
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--size", default="110x32", help="columns x rows (default 110x32)")
    args = parser.parse_args()
    cols, rows = (int(n) for n in args.size.split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    import anyio

    with tempfile.TemporaryDirectory(prefix="tui-shots-") as tmp:
        repo = prepare(Path(tmp))
        devctl(repo, "up")
        try:
            saved = anyio.run(shoot, repo, args.out, (cols, rows))
        finally:
            devctl(repo, "down")
    for path in saved:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
