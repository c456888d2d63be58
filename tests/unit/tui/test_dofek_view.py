"""The Dofek view's own lines (the dock, ticker and watchlist are devctl.dofek.render's)."""

from __future__ import annotations

from pathlib import Path

from devctl.dofek.config import DofekConfig
from devctl.tui.dofek_view import head, stderr_panel


def snapshot(**kw: object) -> dict:
    return {"plugins": [{"state": "healthy"}, {"state": "crashed"}], "refresh_ms": 500,
            "process_count": 12, "config": "/repo/dofek.toml", **kw}


def test_head_names_the_file_counts_healthy_plugins_and_shows_config_warnings() -> None:
    config = DofekConfig(path=Path("/repo/dofek.toml"), warnings=(
        "dofek.toml:3: [general]: refrsh_ms: unknown key (did you mean 'refresh_ms'?); ignored",))
    text = head(snapshot(), config).plain
    assert text.splitlines() == [
        "Dofek  dofek.toml · refresh 500 ms · 1/2 plugins healthy · 12 processes",
        "⚠ dofek.toml:3: [general]: refrsh_ms: unknown key (did you mean 'refresh_ms'?); ignored",
    ]
    # Dofek's managed plugins.toml alone (no dofek.toml): said so, not a blank name
    assert "no dofek.toml (defaults) · refresh" in head(snapshot(config=None), None).plain


def test_stderr_panel_lists_each_plugin_and_says_when_it_wrote_nothing() -> None:
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), width=60, color_system=None)
    console.print(stderr_panel({"a": ["boom", "again"], "b": []}))
    assert console.file.getvalue().splitlines() == [
        "Plugin stderr", "  a", "    boom", "    again", "  b", "    (nothing yet)"]
