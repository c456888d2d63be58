"""The dashboard as a pure function: a snapshot (plain data from `DofekHost.snapshot`) in,
a rich renderable or plain text out. No clocks, no I/O: the same snapshot always draws the
same screen, which is what the tests check.

Layout, top to bottom: a header line, the process watchlist (top processes by CPU and memory
with plugin labels, category badges and ai_state), devctl services when a supervisor runs,
the plugin dock (state dot, name, first panel's values inline, further panels below), and
the metrics ticker (`label value unit`). State dots differ by glyph as well as colour, so
the dashboard reads the same with NO_COLOR.
"""

from __future__ import annotations

import io
import time
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

STATE_DOTS = {
    "starting": ("◌", "yellow"),
    "healthy": ("●", "green"),
    "unhealthy": ("◐", "dark_orange"),
    "crashed": ("✕", "red"),
    "stopped": ("○", "dim"),
}
VALUE_STYLES = {"normal": "", "accent": "bold cyan", "dim": "dim", "warn": "yellow", "error": "bold red"}
CATEGORY_STYLES = {"ai": "magenta", "dev": "blue", "watch": "yellow"}
AI_STATE_STYLES = {"idle": "dim", "loading": "yellow", "inferring": "bold magenta"}
#: Distinct protocol warnings (each shown once per plugin, not once per poll) listed in the dock.
MAX_WARNINGS = 3


def render(snapshot: dict[str, Any]) -> RenderableType:
    parts: list[RenderableType] = [header(snapshot), watchlist(snapshot["processes"])]
    if snapshot.get("services"):
        parts.append(services(snapshot["services"]))
    parts.append(dock(snapshot["plugins"]))
    parts.append(ticker(snapshot["metrics"]))
    return Group(*parts)


def render_text(snapshot: dict[str, Any], width: int = 100) -> str:
    """The dashboard as plain text (no colour): for pipes, logs and tests."""
    console = Console(file=io.StringIO(), width=width, color_system=None, force_terminal=False,
                      highlight=False, emoji=False)
    console.print(render(snapshot))
    return console.file.getvalue()  # type: ignore[attr-defined]


def header(snapshot: dict[str, Any]) -> Text:
    plugins = snapshot["plugins"]
    healthy = sum(1 for p in plugins if p["state"] == "healthy")
    clock = time.strftime("%H:%M:%S", time.localtime(snapshot["time"]))
    text = Text()
    text.append("dofek", style="bold")
    text.append(f"  tick {snapshot['tick']} · {clock} · refresh {snapshot['refresh_ms']} ms · "
                f"{healthy}/{len(plugins)} plugins healthy · {snapshot['process_count']} processes",
                style="dim")
    return text


def watchlist(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Processes", title_justify="left", title_style="bold", box=None,
                  pad_edge=False, expand=False, show_edge=False)
    table.add_column("PID", justify="right")
    table.add_column("NAME", no_wrap=True, max_width=32)
    table.add_column("CPU%", justify="right")
    table.add_column("MEM", justify="right")
    table.add_column("VRAM", justify="right")
    table.add_column("LABELS")
    for row in rows:
        vram = row.get("vram_bytes")
        table.add_row(str(row["pid"]), row["name"], f"{row['cpu_percent']:.1f}", human_bytes(row["rss"]),
                      human_bytes(vram) if vram else "-", labels(row["annotations"]))
    return table


def labels(annotations: list[dict[str, Any]]) -> Text:
    text = Text()
    for i, ann in enumerate(annotations):
        if i:
            text.append("  ")
        if ann.get("category"):
            text.append(f"[{ann['category']}]", style=CATEGORY_STYLES.get(ann["category"], ""))
            text.append(" ")
        if ann.get("label"):
            text.append(ann["label"])
        if ann.get("ai_state"):
            text.append(" · ")
            text.append(ann["ai_state"], style=AI_STATE_STYLES.get(ann["ai_state"], ""))
        text.append(f" ({ann['plugin']})", style="dim")
    return text


def services(view: dict[str, Any]) -> Table:
    table = Table(title="devctl services", title_justify="left", title_style="bold", box=None,
                  pad_edge=False, show_edge=False)
    for name, justify in (("SERVICE", "left"), ("STATE", "left"), ("RESTARTS", "right"),
                          ("PROCS", "right"), ("CPU%", "right"), ("RSS", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for svc in view["services"]:
        style = {"running": "green", "ready": "green", "starting": "yellow"}.get(svc["state"], "red")
        table.add_row(svc["name"], Text(svc["state"], style=style), str(svc["restarts"]),
                      str(svc["processes"]), f"{svc['cpu_percent']:.1f}", human_bytes(svc["rss"]))
    return table


def dock(plugins: list[dict[str, Any]]) -> RenderableType:
    lines: list[RenderableType] = [Text("Plugins", style="bold")]
    if not plugins:
        lines.append(Text("  no plugins enabled (add [[plugins]] to dofek.toml)", style="dim"))
    for plugin in plugins:
        glyph, colour = STATE_DOTS.get(plugin["state"], ("?", ""))
        line = Text("  ")
        line.append(glyph, style=colour)
        line.append(f" {plugin['name']}", style="bold")
        line.append(f" {plugin['state']}", style=colour)
        marker = status_marker(plugin)
        if marker:
            line.append("  ")
            line.append_text(marker)
        panels = plugin.get("panels") or []
        if panels:
            line.append("  ")
            line.append_text(panel_values(panels[0]))
        problem = "" if marker else _problem(plugin)
        if problem:
            line.append(f"  ({problem})", style="dim")
        lines.append(line)
        for panel in panels[1:]:
            sub = Text("      ")
            sub.append(f"{panel['label']}: ", style="bold dim")
            sub.append_text(panel_values(panel))
            lines.append(sub)
        warnings = plugin.get("warnings") or []
        for warning in warnings[:MAX_WARNINGS]:
            lines.append(Text(f"      ⚠ {warning}", style="yellow"))
        if len(warnings) > MAX_WARNINGS:
            lines.append(Text(f"      ⚠ … and {len(warnings) - MAX_WARNINGS} more (devctl dofek check)",
                              style="yellow"))
    return Group(*lines)


def status_marker(plugin: dict[str, Any]) -> Text:
    """Why the panel beside it may not be current: polls timing out (since when, for how long)
    or the plugin's own `status: "error"`. Empty when the panel is simply the latest reply."""
    text = Text()
    timed_out = plugin.get("timed_out")
    if timed_out:
        since = time.strftime("%H:%M:%S", time.localtime(timed_out["since"]))
        text.append(f"⏱ timed out since {since}", style="bold yellow")
        text.append(f" ({timed_out['for_s']:.1f}s, no reply within {timed_out['timeout_ms']} ms; "
                    "panel is from before)", style="yellow")
    if plugin.get("status") == "error":
        if text:
            text.append("  ")
        text.append("✕ error", style="bold red")
        if plugin.get("status_message"):
            text.append(f": {plugin['status_message']}", style="red")
    return text


def panel_values(panel: dict[str, Any]) -> Text:
    text = Text()
    for i, item in enumerate(panel.get("content") or []):
        if i:
            text.append(" · ", style="dim")
        text.append(f"{item['key']} ", style="dim")
        text.append(item["value"], style=VALUE_STYLES.get(item.get("style") or "normal", ""))
    return text


def _problem(plugin: dict[str, Any]) -> str:
    """One short reason shown next to a plugin that is not simply healthy."""
    state = plugin["state"]
    if state == "crashed":
        again = plugin.get("respawn_in_s")
        tail = f"; restart in {again:.1f}s" if again is not None else ""
        return f"{plugin['last_error']}{tail}"
    if state == "unhealthy" or plugin.get("consecutive_errors"):
        count = plugin["consecutive_errors"]
        if count == 1:
            return str(plugin["last_error"])
        return f"{count} errors in a row: {plugin['last_error']}"
    if plugin.get("restarts"):
        return f"restarted {plugin['restarts']}x"
    return ""


def ticker(metrics: list[dict[str, Any]]) -> Text:
    text = Text()
    text.append("Metrics ", style="bold")
    if not metrics:
        text.append(" none yet", style="dim")
    for i, metric in enumerate(metrics):
        if i:
            text.append("  │  ", style="dim")
        text.append(f"{metric['label']} ", style="dim")
        text.append(format_value(metric["value"]), style="bold")
        if metric.get("unit"):
            text.append(f" {metric['unit']}")
        spark = sparkline(metric.get("history") or [])
        if spark:
            text.append(f" {spark}", style="cyan")
    return text


#: Sparkline glyphs, lowest to highest, and how many of a metric's recent values it shows
#: (the JSON snapshot carries all `history_len` of them).
SPARKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 12


def sparkline(values: list[float], width: int = SPARK_WIDTH) -> str:
    """The last `width` values as block glyphs; "" until there are two (nothing to compare)."""
    values = values[-width:]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARKS[0] * len(values)
    scale = (len(SPARKS) - 1) / (high - low)
    return "".join(SPARKS[round((v - low) * scale)] for v in values)


def format_value(value: float) -> str:
    """12.0 -> "12", 12.5 -> "12.5", 0.123456 -> "0.1235", 1234567.8 -> "1,234,568"."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def human_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"
