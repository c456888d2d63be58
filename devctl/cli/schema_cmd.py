"""`devctl schema`: print (or write) the JSON Schema of `.devctl.yaml` for editors."""

from __future__ import annotations

from pathlib import Path

import typer


def schema(
    ctx: typer.Context,
    output: Path | None = typer.Option(
        None, "--output", "-o", metavar="FILE",
        help="Write the schema to FILE instead of stdout (replaced atomically).",
    ),
) -> None:
    """Print the JSON Schema of .devctl.yaml, for editors.

    Save it at the repo root and name it on the first line of .devctl.yaml;
    editors with a YAML language server then check and complete the file:

      devctl schema -o .devctl.schema.json
      # yaml-language-server: $schema=./.devctl.schema.json

    The schema catches unknown keys and wrong types as you type. devctl still
    checks the rest (paths exist, ids are unique) whenever it reads the file.
    """
    import json
    import os

    from devctl.schema import config_schema

    text = json.dumps(config_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    from devctl.cli.context import app_context
    from devctl.cli.output import info
    from devctl.errors import DevctlError
    from devctl.util.atomic import write_atomic

    target = output.expanduser().absolute()
    try:
        write_atomic(target, text, mode=0o644)
    except OSError as exc:
        raise DevctlError(f"cannot write the schema to {output}: {exc.strerror or exc}") from None
    # The modeline is relative to the YAML file, which lives at the repo root.
    root = app_context(ctx).repo_root()
    rel = os.path.relpath(target, root)
    rel = str(target) if rel.startswith("..") else "./" + rel
    info(f"wrote {output}; make this the first line of .devctl.yaml:\n"
         f"# yaml-language-server: $schema={rel}")
