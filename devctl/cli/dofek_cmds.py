"""`devctl dofek …`: host Dofek polling plugins — live dashboard, one-shot poll, plugin checks.

Imports only typer and the standard library at module level; the host (anyio, psutil,
rich) is imported inside each command so `devctl --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(
    help="""Host Dofek polling plugins: a live dashboard of panels, metrics and process labels.

Plugins are listed in [bold]dofek.toml[/bold], Dofek's own format (--config FILE; else ./dofek.toml,
the repo root's, then Dofek's per-user ~/.config/dofek/dofek.toml):

  \\[general]
  refresh_ms = 1000
  \\[\\[plugins]]
  name = "ollama"
  command = "dofek-ollama"      # on PATH, or a path relative to dofek.toml
  args = ["--flag"]
  timeout_ms = 2000

  devctl dofek new myplug        write a starter plugin (python, bash or node)
  devctl dofek check             which config is used, and what in it devctl ignores
  devctl dofek check -- python3 dofek-myplug.py
  devctl dofek run               the dashboard (Ctrl-C stops the plugins)

See docs/dofek.md for the protocol, the lifecycle and every `check` finding.""",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

_CONFIG_OPT = typer.Option(None, "--config", "-c", help="dofek.toml to use (default: ./dofek.toml, "
                           "the repo root's, then ~/.config/dofek/dofek.toml).", dir_okay=False)
_VERBOSE_OPT = typer.Option(False, "--verbose", "-v", help="Say which config is used and what in it "
                            "devctl ignores (as the global -v does).")


@app.callback()
def dofek() -> None:
    """Host Dofek polling plugins: a live dashboard of panels, metrics and process labels."""


def _setup(ctx: typer.Context, config: Path | None, verbose: bool = False) -> tuple[Any, Path]:
    """(DofekConfig, repo root): config lookup and the stderr log directory's root.

    Prints the config's warnings (unknown keys, which Dofek ignores: never fatal) and, at
    -v, which file was used and the Dofek sections devctl ignores."""
    from devctl.cli.context import app_context
    from devctl.cli.output import warn
    from devctl.dofek.config import load_found

    actx = app_context(ctx)
    root = actx.repo_root()
    cfg = load_found(config, Path.cwd(), root)
    for message in cfg.warnings:
        warn(message)
    if verbose or actx.verbose:
        for line in _config_lines(cfg):
            _note(line)
    return cfg, root


def _note(line: str) -> None:
    from devctl.cli.output import info

    info(f"dofek: {line}")


def _config_lines(cfg: Any) -> list[str]:
    """Which file, how it was found, what was merged in and what devctl leaves to Dofek."""
    from devctl.errors import display_path

    used = display_path(cfg.path) if cfg.path else "no dofek.toml (Dofek's defaults)"
    lines = [f"config {used} (from {cfg.source}); refresh {cfg.refresh_ms} ms, "
             f"history {cfg.history_len} samples"]
    if cfg.managed is not None:
        lines.append(f"managed plugins merged from {display_path(cfg.managed)}")
    if cfg.ignored:
        lines.append("ignored (Dofek's own panels, not used by devctl): "
                     + ", ".join(f"[{s}]" for s in cfg.ignored))
    return lines


def _host(cfg: Any, root: Path, top: int = 12) -> Any:
    from devctl.dofek.poller import DofekHost

    return DofekHost.for_repo(cfg, root, top=top)


@app.command()
def run(
    ctx: typer.Context,
    config: Path | None = _CONFIG_OPT,
    json_out: bool = typer.Option(False, "--json", help="One JSON snapshot per line per tick, on stdout."),
    ticks: int | None = typer.Option(None, "--ticks", min=1, help="Stop after N ticks (scripts, tests)."),
    top: int = typer.Option(12, "--top", min=1, help="Rows in the process watchlist."),
    verbose: bool = _VERBOSE_OPT,
) -> None:
    """The live dashboard: process watchlist, devctl services, plugin dock, metrics ticker.

    Every refresh each enabled plugin gets one poll; a plugin that hangs or crashes never
    delays the others. Ctrl-C sends every plugin {"type":"shutdown"}, closes its stdin and
    kills its process group 2 s later. When stdout is not a terminal one text snapshot is
    printed per tick; with --json one JSON line per tick. Plugin stderr goes to
    .devctl/logs/dofek/<name>.log.
    """
    import anyio

    from devctl.cli.output import err, out
    from devctl.dofek.render import render

    cfg, root = _setup(ctx, config, verbose)
    host = _host(cfg, root, top)
    live_mode = not json_out and out().is_terminal

    async def main() -> None:
        stop = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(_stop_on_signals, stop)
            if live_mode:
                from rich.live import Live

                with Live(console=out(), auto_refresh=False, transient=False) as live:
                    live.update(f"starting {len(host.runners)} plugins…", refresh=True)
                    await host.run(lambda s: live.update(render(s), refresh=True), ticks=ticks, stop=stop)
            else:
                await host.run(lambda s: _print_tick(s, json_out), ticks=ticks, stop=stop)
            tg.cancel_scope.cancel()

    if not json_out and not live_mode and err().is_terminal:
        err().print(f"dofek: {len(host.runners)} plugins, refresh {cfg.refresh_ms} ms (Ctrl-C to stop)")
    anyio.run(main)


async def _stop_on_signals(stop: Any) -> None:
    import signal

    import anyio

    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            stop.set()


def _print_tick(snapshot: dict[str, Any], json_out: bool) -> None:
    import json

    from devctl.cli.output import out
    from devctl.dofek.render import render

    if json_out:
        sys.stdout.write(json.dumps(snapshot, ensure_ascii=False, separators=(",", ":")) + "\n")
        sys.stdout.flush()
        return
    out().print(render(snapshot))
    out().print("─" * 40, style="dim")
    sys.stdout.flush()


@app.command()
def poll(
    ctx: typer.Context,
    once: bool = typer.Option(True, "--once", help="One poll cycle across all plugins (the only mode; "
                              "use `run` for a live view)."),
    config: Path | None = _CONFIG_OPT,
    json_out: bool = typer.Option(False, "--json", help="Print the merged snapshot as JSON on stdout."),
    verbose: bool = _VERBOSE_OPT,
) -> None:
    """Start every enabled plugin, poll each once, print the merged result, shut them down.

    Shows panels, annotations, metrics and each plugin's state. Waits for every reply up
    to its timeout_ms. Exit code 1 when any plugin failed (no reply, invalid reply,
    crash, or status "error"), else 0.
    """
    import anyio

    from devctl.cli.output import err, out, print_json, spinner
    from devctl.dofek.render import render

    cfg, root = _setup(ctx, config, verbose)
    host = _host(cfg, root)
    result: list[dict[str, Any]] = []

    async def main() -> None:
        await host.run(result.append, ticks=1, wait_all=True)

    with spinner(f"polling {len(host.runners)} plugins…"):
        anyio.run(main)
    snapshot = result[0]
    if json_out:
        print_json(snapshot)
    else:
        out().print(render(snapshot))
    failed = [p for p in snapshot["plugins"] if p["last_outcome"] != "ok"]
    for plugin in failed:
        err().print(f"[red]failed:[/red] {plugin['name']}: {plugin['last_error'] or plugin['last_outcome']}",
                    markup=True, highlight=False)
    if failed:
        raise typer.Exit(1)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def check(
    ctx: typer.Context,
    command: list[str] | None = typer.Argument(None, metavar="[-- CMD [ARGS]...]",
                                               help="The plugin command line; none: check the config."),
    polls: int = typer.Option(3, "--polls", min=1, max=100, help="How many polls to send."),
    timeout_ms: int = typer.Option(2000, "--timeout-ms", min=10, help="Per-poll timeout, as in dofek.toml."),
    config: Path | None = _CONFIG_OPT,
    json_out: bool = typer.Option(False, "--json", help="Print findings as JSON on stdout."),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too (exit 1)."),
) -> None:
    """Check a plugin against the protocol, or (no command) the dofek.toml devctl would use.

    With a command: run it for a few polls and a shutdown, then list what it does outside the
    spec. Each finding comes with its fix: reply time against the timeout, stray stdout lines,
    missing manifest, wrong field types, styles/categories/ai_states outside the spec,
    metric ids not namespaced, annotated pids that do not exist, not exiting on shutdown.
    Example: devctl dofek check -- python3 dofek-myplug.py
    Exit code 1 when there is an error finding (or any finding with --strict), else 0.

    Without one: say which config file is used and how it was found, the plugins it lists
    (and those merged from Dofek's managed plugins.toml), the Dofek sections devctl ignores,
    and its warnings. Exit 1 with --strict when there are warnings.
    """
    if not command:
        _check_config(ctx, config, json_out, strict)
        return
    import anyio

    from devctl.cli.output import print_json, spinner
    from devctl.dofek.conformance import findings, run_check

    with spinner(f"checking {' '.join(command)} ({polls} polls)…"):
        record = anyio.run(lambda: run_check(list(command), polls=polls, timeout_ms=timeout_ms))
    found = findings(record)
    if json_out:
        print_json({"command": command, "polls": record.polls,
                    "reply_ms": [round(m, 1) for m in record.reply_ms],
                    "timeout_ms": timeout_ms, "findings": [f.to_json() for f in found]})
    else:
        _print_findings(command, record, found)
    if any(f.severity == "error" or strict for f in found):
        raise typer.Exit(1)


def _check_config(ctx: typer.Context, config: Path | None, json_out: bool, strict: bool) -> None:
    from rich.markup import escape

    from devctl.cli.context import app_context
    from devctl.cli.output import out, print_json, warn
    from devctl.dofek.config import load_found

    cfg = load_found(config, Path.cwd(), app_context(ctx).repo_root())
    if json_out:
        print_json({
            "config": str(cfg.path) if cfg.path else None, "source": cfg.source,
            "managed": str(cfg.managed) if cfg.managed else None,
            "refresh_ms": cfg.refresh_ms, "history_len": cfg.history_len,
            "ignored_sections": list(cfg.ignored), "warnings": list(cfg.warnings),
            "plugins": [{"name": p.name, "argv": p.argv(), "enabled": p.enabled,
                         "timeout_ms": p.timeout_ms, "from": p.origin} for p in cfg.plugins],
        })
    else:
        console = out()
        for line in _config_lines(cfg):
            console.print(escape(line), highlight=False)
        if not cfg.plugins:
            console.print("no plugins configured", style="dim")
        for p in cfg.plugins:
            state = "enabled" if p.enabled else "disabled"
            argv = escape(" ".join(p.argv()))
            console.print(f"  {escape(p.name)} ({state}, timeout {p.timeout_ms} ms): {argv}  "
                          f"[dim]from {escape(p.origin)}[/dim]", highlight=False)
        for message in cfg.warnings:
            warn(message)
    if strict and cfg.warnings:
        raise typer.Exit(1)


def _print_findings(command: list[str], record: Any, found: list[Any]) -> None:
    from rich.markup import escape

    from devctl.cli.output import out

    console = out()
    times = ", ".join(f"{m:.0f} ms" for m in record.reply_ms)
    replies = f"replies in {times}" if times else "no replies"
    console.print(f"[bold]{escape(' '.join(command))}[/bold]: {record.polls} polls, "
                  f"{replies} (timeout {record.timeout_ms} ms)")
    if not found:
        console.print("[green]✓[/green] no findings: the plugin follows the Dofek protocol")
        return
    for f in found:
        colour = "red" if f.severity == "error" else "yellow"
        console.print(f"[{colour}]{f.severity}[/{colour}] [bold]{f.code}[/bold]: {escape(f.message)}")
        console.print(f"    fix: {escape(f.fix)}", style="dim")


@app.command()
def validate(
    source: str = typer.Argument(..., metavar="FILE|-", help="A poll_response JSON file, or - for stdin."),
    json_out: bool = typer.Option(False, "--json", help="Print the verdict as JSON on stdout."),
) -> None:
    """Validate one poll_response, as the spec's playground does, and preview it.

    Errors (wrong types) reject the response, exit 1. Warnings (unknown style, category or
    ai_state; metric ids not namespaced) are shown; the response is still accepted, exit 0.
    A file that cannot be read or is not JSON at all: exit 2.
    """
    from devctl.cli.json_args import read_json, source_label
    from devctl.cli.output import print_json
    from devctl.dofek import frames

    name = source_label(source)
    obj = read_json(source, "poll_response")
    result = frames.validate(obj)
    if json_out:
        resp = result.response
        print_json({"valid": result.ok, "errors": [str(i) for i in result.errors],
                    "warnings": [str(i) for i in result.warnings],
                    "response": vars(resp) if resp else None})
    else:
        _print_validation(name, result)
    if not result.ok:
        raise typer.Exit(1)


def _print_validation(name: str, result: Any) -> None:
    from rich.markup import escape

    from devctl.cli.output import out
    from devctl.dofek import render

    console = out()
    for issue in result.errors:
        console.print(f"[red]error[/red] {escape(name)}: {escape(str(issue))}")
    for issue in result.warnings:
        console.print(f"[yellow]warning[/yellow] {escape(name)}: {escape(str(issue))}")
    resp = result.response
    if resp is None:
        console.print(f"[red]✗[/red] {escape(name)}: rejected; "
                      "the dock would keep showing the last good data")
        return
    console.print(f"[green]✓[/green] {escape(name)}: a valid poll_response")
    plugin = {"name": (resp.manifest or {}).get("name") or "plugin", "state": "healthy",
              "panels": resp.panels, "consecutive_errors": 0, "restarts": 0, "last_error": "",
              "status": resp.status, "status_message": resp.message if resp.status == "error" else None}
    console.print(render.dock([plugin]))
    console.print(render.ticker([{"plugin": plugin["name"], **m} for m in resp.metrics]))
    for ann in resp.annotations:
        console.print(f"  pid {ann['pid']}: ", render.labels([{"plugin": plugin["name"], **ann}]))


@app.command()
def new(
    name: str = typer.Argument(..., metavar="NAME", help="Plugin name: lowercase letters, digits, - and _."),
    lang: str = typer.Option("python", "--lang", help="python, bash or node."),
    directory: Path = typer.Option(Path("."), "--dir", help="Where to write the plugin.", file_okay=False),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a working starter plugin (under 50 lines) that `devctl dofek check` passes.

    Prints the \\[\\[plugins]] entry to add to dofek.toml.
    """
    import os

    from devctl.cli.output import info, out
    from devctl.dofek import scaffold
    from devctl.errors import ConfigError

    if lang not in scaffold.LANGS:
        raise ConfigError(f"--lang {lang!r}: choose one of {', '.join(scaffold.LANGS)}")
    source = scaffold.render_plugin(name, lang)
    path = directory / scaffold.file_name(name, lang)
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists (use --force to overwrite)")
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    os.chmod(path, 0o755)
    info(f"wrote {path}; try it: devctl dofek check -- {scaffold.RUNNERS[lang]} {path}")
    out().print("# add to dofek.toml:", style="dim")
    sys.stdout.write(scaffold.toml_entry(name, lang, str(path)))
