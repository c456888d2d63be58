"""`u` in the dashboard when `devctl up` fails before it starts anything: the line it shows must
carry the CLI's error, not only the hints printed after it.

Found by hand in tmux (`devctl tui` in a directory without `.devctl.yaml`, then `u`): the
dashboard said "devctl up failed (exit 2):   looked for /x/.devctl.yaml |   and for executables
... | create .devctl.yaml ..." — the last three stderr lines — and never "no .devctl.yaml found",
the one line that says what is wrong; the deeper the directory, the more "looked for" lines.
"""

from __future__ import annotations

import pytest
from textual.widgets import Static

from devctl.tui.app import DevctlApp
from devctl.tui.context import TuiContext
from tests.integration.test_tui_services import until

pytestmark = pytest.mark.anyio


@pytest.mark.timeout(120)
async def test_a_failed_up_shows_the_cli_error_line(tmp_path):
    deep = tmp_path / "a" / "b" / "c" / "d" / "e" / "f" / "g" / "h"  # many "looked for" lines
    deep.mkdir(parents=True)
    app = DevctlApp(TuiContext(deep, None), feed=False)
    async with app.run_test(size=(120, 32)) as pilot:
        await pilot.press("u")
        view = app.view("services")
        await until(pilot, lambda: view.busy is None and len(view.activity) >= 2, "up to fail", 60)
        said = str(view.query_one("#activity", Static).render())
        assert "devctl up failed (exit 2)" in said
        assert "no .devctl.yaml found" in said
    assert not app.children_running
