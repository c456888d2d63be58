"""Rendering for `devctl dotagent …` and the dotagent part of `devctl doctor`.

Data in, text out: the commands gather results from `devctl.dotagent`, these functions
decide how they look (rich on stderr/stdout, or JSON). rich is imported lazily.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from devctl.cli.output import err, out, print_json

if TYPE_CHECKING:
    from devctl.dotagent.discovery import Found
    from devctl.dotagent.plugin import Outcome, Plugin
    from devctl.dotagent.spec import PluginInfo
    from devctl.findings import Finding

_LEVEL_STYLE = {"info": "", "warn": "yellow", "error": "bold red", "detail": "dim", "event": "cyan"}


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def survey(found: list[Found]) -> list[dict[str, Any]]:
    """Run `info` on every found plugin (a few at a time) → rows for the table / JSON."""
    from devctl.dotagent.plugin import Plugin
    from devctl.errors import PluginError

    def one(f: Found) -> dict[str, Any]:
        row: dict[str, Any] = {"name": f.name, "path": str(f.path), "source": f.source,
                               "shadows": [str(p) for p in f.shadows]}
        try:
            info = Plugin(f.name, f.path, source=f.source).info()
        except PluginError as exc:
            row.update(ok=False, error=exc.message, details=exc.details)
            return row
        row.update(ok=True, platform_supported=info.supports_platform(), info=info.as_dict())
        return row

    if not found:
        return []
    with ThreadPoolExecutor(max_workers=min(4, len(found))) as pool:
        return list(pool.map(one, found))


def plugins_table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    from devctl.dotagent import discovery

    if not rows:
        err().print("no dotagent plugins found; searched " + _esc(discovery.describe_search()))
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("NAME", "VERSION", "KINDS", "PLATFORM", "FOUND IN"):
        table.add_column(col, no_wrap=True)
    table.add_column("PATH", overflow="fold")
    for row in rows:
        if not row["ok"]:
            table.add_row(_esc(row["name"]), "[red]broken[/red]", "", "", row["source"], _esc(row["path"]))
            table.add_row("", f"[red]{_esc(row['error'])}[/red]", "", "", "", "")
            for d in row["details"][:6]:
                table.add_row("", f"[dim]{_esc(d)}[/dim]", "", "", "", "")
            continue
        info = row["info"]
        plat = "yes" if row["platform_supported"] else f"[yellow]no ({', '.join(info['platforms'])})[/yellow]"
        table.add_row(_esc(row["name"]), _esc(info["version"]), ", ".join(info["kinds"]), plat,
                      row["source"], _esc(row["path"]))
        for shadowed in row["shadows"]:
            table.add_row("", "", "", "", "[dim]hides[/dim]", f"[dim]{_esc(shadowed)}[/dim]")
    out().print(table)


def info_view(plugin: Plugin, info: PluginInfo) -> None:
    c = out()
    c.print(f"[bold]{_esc(info.name)}[/bold] {_esc(info.version)}")
    c.print(f"  path:      {_esc(str(plugin.path))} ({plugin.source})")
    c.print(f"  kinds:     {', '.join(info.kinds)}")
    plats = ", ".join(info.platforms) if info.platforms else "all"
    note = "" if info.supports_platform() else "  [yellow](not this platform)[/yellow]"
    c.print(f"  platforms: {plats}{note}")
    for key, value in info.extra.items():
        c.print(f"  {_esc(key)}: {_esc(json.dumps(value, ensure_ascii=False))}")
    c.print("  config schema:")
    for line in json.dumps(info.schema, indent=2, ensure_ascii=False).splitlines():
        c.print(f"    {_esc(line)}")


def outcome(o: Outcome, *, json_out: bool, verbose: bool, ok_text: str | None = None) -> None:
    """A verb's verdict: reply JSON on stdout with --json, else a readable summary."""
    if json_out:
        print_json(o.as_dict())
        return
    if o.ok:
        out().print(f"[green]ok[/green] {_esc(ok_text or o.summary())}")
    else:
        err().print(f"[bold red]failed:[/bold red] {_esc(o.plugin)} {o.verb}: {_esc(o.error or '')}")
        for line in o.problems:
            err().print(f"  - {_esc(line)}")
        if o.suggest:
            err().print(f"  [yellow]suggest:[/yellow] {_esc(o.suggest)}")
    if o.extra and (verbose or not o.ok):
        for key, value in o.extra.items():
            out().print(f"  {_esc(key)}: {_esc(json.dumps(value, ensure_ascii=False))}")
    if o.stderr_tail and (verbose or not o.ok):
        err().print("  [dim]last stderr lines:[/dim]")
        for line in o.stderr_tail:
            err().print(f"    [dim]{_esc(line)}[/dim]")
    for note in o.notes:
        err().print(f"  [yellow]note:[/yellow] {_esc(note)}")
    if verbose and o.exit_code is not None:
        # No exit code means the verb never ran (a schema check or info failed first): a
        # timing line would only say "exit code None" about a process that was not started.
        err().print(f"  [dim]{o.duration_s:.2f}s, exit code {o.exit_code}[/dim]")


def findings_lines(findings: list[Finding]) -> None:
    for f in findings:
        style = "bold red" if f.is_error else "yellow"
        err().print(f"  [{style}]{f.severity}[/{style}] {_esc(f.where)}: {_esc(f.plugin)}: {_esc(f.message)}")
        for d in f.details:
            err().print(f"      [dim]{_esc(d)}[/dim]")


def doctor_report(rows: list[dict[str, Any]], findings: list[Finding], *, json_out: bool) -> None:
    errors = sum(f.is_error for f in findings)
    warnings = len(findings) - errors
    if json_out:
        print_json({"ok": errors == 0, "uses": rows, "findings": [f.to_json() for f in findings]})
        return
    for row in rows:
        mark = "[green]ok[/green]   " if row["ok"] else "[red]FAIL[/red] "
        ver = f" {row['version']}" if row["version"] else ""
        out().print(f"{mark} {_esc(row['where'])}: {_esc(row['plugin'])}{_esc(ver)} as {row['kind']}")
    findings_lines(findings)
    style = "bold red" if errors else ("yellow" if warnings else "green")
    summary = f"{len(rows)} plugin use(s) checked: {errors} error(s), {warnings} warning(s)"
    err().print(f"[{style}]{summary}[/{style}]")


def say(level: str, text: str) -> None:
    """The runner's progress and verdicts, on stderr (the job's own stdout stays clean)."""
    style = _LEVEL_STYLE.get(level, "")
    prefix = {"warn": "warning: ", "error": "error: "}.get(level, "")
    indent = "    " if level == "detail" else ""
    body = f"{indent}{prefix}{_esc(text)}"
    err().print(f"[{style}]{body}[/{style}]" if style else f"[dim]dotagent:[/dim] {body}")
