"""`devctl stream`: follow one of a plugin's streams (the ops under `capabilities.streams`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

#: Frame keys the readable printer leaves out: they are the same on every event.
_HIDDEN_KEYS = ("type", "stream_id", "event")


def stream(
    ctx: typer.Context,
    plugin: str = typer.Option(..., "--plugin", "-p", help="Id of the plugin (as in .devctl.yaml).",
                               show_default=False),
    op: str = typer.Option(..., "--op", help="The stream op, e.g. logs.follow (`devctl plugins list` "
                           "shows each plugin's streams).", show_default=False),
    input_json: str | None = typer.Option(None, "--input", help="Request input, a JSON object.",
                                          show_default=False),
    input_file: Path | None = typer.Option(None, "--input-file", help="Read the request input (a JSON "
                                           "object) from this file; '-' reads stdin.", show_default=False),
    json_out: bool = typer.Option(False, "--json", help="One JSON event per line on stdout, `end` included."),
) -> None:
    """Start a plugin stream and print its events as they arrive.

    The plugin is started on its own and asked for OP; each event it streams is printed at once
    (readable by default, `--json` for one object per line). Ctrl-C stops the plugin cleanly.

    Example: [bold]devctl stream --plugin db --op logs.follow --input '{"tail": 10}' --json[/bold]

    Exit codes: 0 the stream ended ok, 1 it ended with ok:false or the plugin failed,
    2 bad options or input, 130 interrupted.
    """
    from devctl.cli.context import app_context
    from devctl.cli.output import err, info
    from devctl.errors import ConfigError
    from devctl.plugins.run_stream import run_stream

    if input_json is not None and input_file is not None:
        raise ConfigError("give the input with --input or --input-file, not both")
    payload = _input(input_json, input_file)
    app = app_context(ctx)
    cfg = app.load_config()
    on_stderr = None
    if app.verbose:
        def on_stderr(plugin_id: str, line: str) -> None:
            sys.stderr.write(f"[{plugin_id}] {line}\n")

    result = run_stream(cfg, plugin, op, payload, timeout=app.timeout, dry_run=app.dry_run,
                        printer=json_printer() if json_out else readable_printer(), on_stderr=on_stderr,
                        strict=app.effective_strict())
    sys.stdout.flush()
    if result.ok:
        if not json_out:
            info(f"stream {op} of {plugin} ended ok ({result.events} events)")
        return
    from rich.markup import escape

    err().print(f"[bold red]stream failed:[/bold red] {escape(result.error)}")
    raise typer.Exit(1)


def _input(input_json: str | None, input_file: Path | None) -> dict[str, Any]:
    """The request input: a JSON object from `--input` or `--input-file`; none given, or only
    whitespace, is `{}`."""
    from devctl.cli.json_args import parse_json, read_source, require_object, source_label

    if input_file is not None:
        label, text = source_label(str(input_file)), read_source(str(input_file))
    else:
        label, text = "--input", input_json
    if text is None or not text.strip():
        return {}
    return require_object(parse_json(text, label, "input"), label, "input")


def json_printer() -> Callable[[dict[str, Any], bool], None]:
    """`--json`: one compact object per line, flushed whenever no further event is waiting."""
    write = sys.stdout.write
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

    def show(event: dict[str, Any], idle: bool) -> None:
        write(dumps(event) + "\n")
        if idle:
            sys.stdout.flush()

    return show


def readable_printer() -> Callable[[dict[str, Any], bool], None]:
    """`log` events as "LEVEL message", others as "event key=value ..." (the end is summarised apart)."""
    from rich.text import Text

    from devctl.cli.output import out

    styles = {"error": "red", "warn": "yellow", "warning": "yellow", "debug": "dim", "trace": "dim"}
    console = out()

    def show(event: dict[str, Any], idle: bool) -> None:
        name = str(event.get("event", ""))
        if name == "end":
            return  # summarised on stderr by the CLI
        if name == "log":
            level = str(event.get("level", "info"))
            line = Text(f"{level.upper():<5} ", style=styles.get(level.lower(), "cyan"))
            line.append(str(event.get("message", "")))
        else:
            line = Text(name, style="bold")
            for key, value in event.items():
                if key not in _HIDDEN_KEYS:
                    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    line.append(f" {key}=", style="dim")
                    line.append(shown)
        console.print(line)

    return show
