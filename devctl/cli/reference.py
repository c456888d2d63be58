"""Markdown reference of the CLI, generated from the typer app itself.

The docs site's CLI page is produced by this module at build time (docs/hooks/cli_reference.py),
so the reference cannot drift from the code: a renamed option changes the page.
"""

from __future__ import annotations

from typing import Any


def _param_row(param: Any) -> str | None:
    if getattr(param, "hidden", False):
        return None
    if param.param_type_name == "argument":
        name = f"`{param.human_readable_name}`"
        kind = "argument"
    else:
        flags = [*param.opts, *param.secondary_opts]
        name = ", ".join(f"`{flag}`" for flag in flags)
        kind = "flag" if getattr(param, "is_flag", False) else "option"
    help_text = (getattr(param, "help", None) or "").replace("\n", " ").replace("|", "\\|")
    default = getattr(param, "default", None)
    if default not in (None, False, (), []) and not callable(default) and kind != "flag":
        help_text += f" (default: `{default}`)"
    if getattr(param, "multiple", False) and "repeatable" not in help_text.lower():
        help_text += " Repeatable."
    return f"| {name} | {kind} | {help_text} |"


def command_markdown(cmd: Any, path: str, level: int = 2) -> list[str]:
    """Markdown lines for `cmd` (and, for groups, each sub-command, recursively)."""
    import typer

    ctx = typer.Context(cmd, info_name=path.split()[-1])
    lines = [f"{'#' * level} `{path}`", ""]
    usage = " ".join(cmd.collect_usage_pieces(ctx))
    lines += ["```text", f"{path} {usage}".rstrip(), "```", ""]
    if cmd.help:
        text = _strip_markup(cmd.help).strip()
        # The root help is laid out by hand (aligned examples): keep its line breaks.
        lines += ["```text", text, "```", ""] if level == 2 else [text, ""]
    rows = [row for row in (_param_row(p) for p in cmd.params) if row]
    rows = [r for r in rows if "--install-completion" not in r and "--show-completion" not in r]
    if rows:
        lines += ["| name | kind | description |", "|---|---|---|", *rows, ""]
    sub_names = cmd.list_commands(ctx) if hasattr(cmd, "list_commands") else []
    for name in sub_names:
        sub = cmd.get_command(ctx, name)
        if sub is None or sub.hidden or getattr(sub, "rich_help_panel", "") == "Plugin commands":
            continue
        lines += command_markdown(sub, f"{path} {name}", min(level + 1, 4))
    return lines


def _strip_markup(text: str) -> str:
    import re

    return re.sub(r"\[/?[a-z ]+\]", "", text)


def cli_reference_markdown() -> str:
    import typer

    from devctl.cli.app import app

    root = typer.main.get_command(app)
    return "\n".join(command_markdown(root, "devctl"))
