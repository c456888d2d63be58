"""Error types that carry their own exit code and user-facing message.

One place decides what the user sees: the CLI entry point catches `DevctlError`, prints
`error: <message>` on stderr and exits with `exit_code`. Code deep in the stack raises these
instead of printing, so every failure path yields exactly one message.
"""

from __future__ import annotations

import os

#: Documented exit codes (see docs/cli.md). 0 is success; `dotagent run` also exits 124 on a
#: timeout (as coreutils `timeout`), decided in devctl/dotagent/jobproc.py.
EXIT_FAILED = 1  # the operation failed: plugin error, invalid validation, collision, service failed
EXIT_USAGE = 2  # usage or configuration error
EXIT_NOT_RUNNING = 3  # `status`: some service is not running/healthy, or nothing runs
EXIT_INTERRUPTED = 130  # Ctrl-C


class DevctlError(Exception):
    """A failure the user should see as one clear message."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, details: list[str] | None = None, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        #: Extra lines shown under the message (e.g. a plugin's last stderr lines).
        self.details = details or []
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(DevctlError):
    """Bad `.devctl.yaml`, bad CLI usage, or a bad plan shape: exit 2."""

    exit_code = EXIT_USAGE


class PluginError(DevctlError):
    """A plugin broke the protocol, failed, timed out or crashed."""

    def __init__(
        self,
        plugin: str,
        message: str,
        *,
        details: list[str] | None = None,
        code: str | None = None,
        op: str | None = None,
    ):
        # The stable code sits in the message itself (`plugin 'x' [E_TIMEOUT]: ...`) so a user
        # can search docs/protocol.md for exactly what they see.
        prefix = f"plugin {plugin!r} [{code}]" if code else f"plugin {plugin!r}"
        super().__init__(f"{prefix}: {message}", details=details)
        self.plugin = plugin
        self.code = code
        self.op = op


class OperationFailed(DevctlError):
    """The operation ran but its result is a failure (validation invalid, collision, step failed)."""


def display_path(path: os.PathLike[str] | str) -> str:
    """A file as messages name it: relative to the current directory when inside it, else absolute."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel
