"""The `devctl --version` line, built from the package constants.

A core module (not `devctl.cli`) so that both the console entry point and the typer root
callback can use it without importing each other; it imports nothing beyond `devctl`.
"""

from __future__ import annotations

from devctl import PROTOCOLS, __version__


def version_text() -> str:
    """`devctl 0.1.0 (protocols: devctl v1, ...)`."""
    protocols = ", ".join(f"{name} {ver}" for name, ver in PROTOCOLS.items())
    return f"devctl {__version__} (protocols: {protocols})"
