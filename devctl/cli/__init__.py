"""The typer layer: parse, call the core, render. No policy lives here."""
