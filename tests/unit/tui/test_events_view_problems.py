"""The events view's `p` (problems only) and its red: an exit that was asked for is no problem.

Found by hand in tmux on examples/dashboard: after `x` (stop), `r` (restart) or `d` (down),
`p` listed every "exited · exit_code 0 · stop_requested" in red next to the real crashes, so a
`down` of five services filled the problems list with five non-problems."""

from __future__ import annotations

from devctl.tui.context import TuiContext
from devctl.tui.events_view import EventsView
from tests.unit.tui.host import drive, until
from tests.unit.tui.test_events_view import ev, write_events


def test_problems_only_leaves_out_requested_exits_and_does_not_colour_them(tmp_path):
    write_events(tmp_path, [
        ev(1, "web", "exited", pid=10, exit_code=0, stop_requested=True),  # `devctl stop web`
        ev(2, "flaky", "exited", pid=11, exit_code=1),  # a crash
        # Asked to stop, but it had to be killed (it ignored SIGTERM for the whole grace): a problem.
        ev(3, "web", "exited", pid=12, signal="SIGKILL", stop_requested=True),
        ev(4, "web", "unhealthy", error="timed out"),
    ])
    view = EventsView(TuiContext(root=tmp_path, config_file=None))

    async def scenario(pilot, view):
        await until(pilot, lambda: view.loaded, "the history")
        assert view.table.row_count == 4
        assert view.table.get_row_at(0)[2].style == ""  # asked for: not red
        assert view.table.get_row_at(1)[2].style == "red"
        await pilot.press("p")
        rows = [view.table.get_row_at(i) for i in range(view.table.row_count)]
        assert [(r[1], str(r[2]), r[3]) for r in rows] == [
            ("flaky", "exited", "pid 11 · exit_code 1"),
            ("web", "exited", "pid 12 · signal SIGKILL · stop_requested"),
            ("web", "unhealthy", "error timed out")]

    drive(view, scenario)
