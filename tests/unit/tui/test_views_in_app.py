"""The events, pipeline and plugins views inside the real app shell (`DevctlApp`, no supervisor):
each mounts by its key, gets the feed's events through the app, and lists its keys in the help."""

from __future__ import annotations

import sys

import pytest

from devctl.pipeline.record import write_record
from devctl.tui.app import DevctlApp, Placeholder
from devctl.tui.context import TuiContext
from devctl.tui.events_view import EventsView
from devctl.tui.pipeline_view import PipelineView
from devctl.tui.plugins_view import PluginsView
from tests.unit.tui.host import until
from tests.unit.tui.test_events_view import ev, write_events
from tests.unit.tui.test_pipeline_view import invalid_record

pytestmark = pytest.mark.anyio


async def test_events_pipeline_and_plugins_views_in_the_dashboard(tmp_path):
    (tmp_path / ".devctl.yaml").write_text(f"plugins:\n  - id: app\n    path: {sys.executable}\n")
    write_events(tmp_path, [ev(1, "web", "started"), ev(2, "web", "exited", exit_code=1)])
    write_record(tmp_path, invalid_record())
    app = DevctlApp(TuiContext(tmp_path, None), feed=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        events = app.view("events")
        assert isinstance(events, EventsView) and not isinstance(events, Placeholder)
        await until(pilot, lambda: events.loaded, "the events history")
        app.deliver("event", ev(3, "db", "gave_up", attempts=5))  # as the feed hands it over
        assert events.table.row_count == 3
        await pilot.press("p")  # the view's own key, not the app's
        assert events.table.row_count == 2

        await pilot.press("4")
        pipeline = app.view("pipeline")
        assert isinstance(pipeline, PipelineView)
        await until(pilot, lambda: pipeline.record is not None, "the pipeline record")
        labels = [str(n.label) for n in pipeline.query_one("Tree").root.children]
        assert "validation: INVALID, 1 error(s), 1 warning(s)" in labels

        await pilot.press("5")
        plugins = app.view("plugins")
        assert isinstance(plugins, PluginsView)
        await until(pilot, lambda: plugins.loads >= 1, "the plugins")
        assert "app  (not run yet" in str(plugins.query_one("#plugins-info").render())

        await pilot.press("question_mark")
        await pilot.pause()
        keys = dict(app.screen.view_keys)  # type: ignore[attr-defined]
        assert "devctl COMMAND ARGS" in keys["c"] and "Ctrl-C" in keys["ctrl+x"]
