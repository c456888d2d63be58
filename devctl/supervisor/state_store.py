"""`.devctl/state.json`: versioned, written atomically, secrets redacted.

Readers (`status`, `down` after a supervisor crash) must never see half a file, so every write
is atomic (`devctl.util.atomic`: temp file, then `os.replace`). The file is mode 0600.
Values of env keys that look secret are replaced before they touch disk.
Stdlib only, so `status` stays fast. `ServiceRecord` is what the file says about one service
(also what `status --json` and the control socket hand out); readers get it back as parsed
JSON, so they read it as `dict[str, Any]`.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from devctl.errors import DevctlError
from devctl.statedir import unusable

#: Not `typing.TYPE_CHECKING`: `typing` (and building these TypedDicts, ~10 ms of CPU together on
#: the 2-core box) is an import `status` and `down` skip; the records are plain dicts at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypedDict

STATE_VERSION = 1
#: Env keys containing any of these (case-insensitive) have their value redacted.
SECRET_MARKERS = ("TOKEN", "SECRET", "PASSWORD", "KEY")
REDACTED = "***"


if TYPE_CHECKING:  # what the file holds, for type checkers: plain dicts at run time

    class HealthStatus(TypedDict):
        """The latest health check of a service (from its `HealthCheck` plus what the probes saw)."""

        type: str  # "tcp" | "http" | "exec"
        target: str  # "host:port", the URL, or the exec command line
        ok: bool | None  # None until the first probe after a (re)start
        error: str
        since: float | None  # time.time() of the last change of ok/error


    class LastExit(TypedDict):
        code: int | None  # None when killed by a signal
        signal: str | None  # "SIGKILL" form
        at: float  # time.time()


    class ServiceRecord(TypedDict):
        """One service in state.json (see docs/supervisor.md); `env` is already redacted."""

        name: str
        state: str  # one of devctl.supervisor.states.STATES
        pid: int | None
        pgid: int | None
        create_time: float | None
        started_at: float | None
        ready_at: float | None
        command: list[str]
        cwd: str
        env: dict[str, str]
        logs: dict[str, str]  # stream -> path
        restarts: int  # in total
        restart_attempt: int  # since the last reset
        restart_policy: str
        last_exit: LastExit | None
        health: HealthStatus | None
        error: str
        depends_on: list[str]
        stop_signal: str
        stop_timeout_ms: int
        descendants: list[list[float]]  # [pid, create_time] pairs
        plugin: str


def is_secret_key(key: str) -> bool:
    upper = key.upper()
    return any(marker in upper for marker in SECRET_MARKERS)


def redact_env(env: dict[str, str]) -> dict[str, str]:
    """A copy of `env` with the values of secret-looking keys replaced by `***`."""
    return {k: (REDACTED if is_secret_key(k) else v) for k, v in env.items()}


def write_state(path: Path, data: Mapping[str, Any] | bytes) -> None:
    """Atomically replace `path` with `data` (plus the version field) as JSON; or with `data`
    as it is when it is bytes already encoded with the version (`Supervisor.state_json`)."""
    # No `indent`: with it, json falls back to its pure-Python encoder, and this file is
    # rewritten on every state change of every service (50 services: 3 ms of CPU per write
    # with indent=1, 0.4 ms without; bench/bench_supervisor.py). `devctl status --json` is the
    # readable view.
    if isinstance(data, bytes):
        encoded = data
    else:
        payload = {"version": STATE_VERSION, **data}
        encoded = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    # Not durable: this is rewritten on every state change, on the event loop, and describes
    # processes that a machine crash ends anyway; the swap alone keeps readers safe. One writer
    # (the supervisor, under its lock): `swap_in`, the cheap atomic write for exactly that.
    from devctl.util.atomic import swap_in  # not at import: `status` only reads (tempfile: ~7 ms)

    swap_in(path, encoded, mode=0o600)


class CorruptState(DevctlError):
    """state.json exists but cannot be read as state (truncated, edited, not JSON). The CLI
    then asks a live supervisor instead (devctl.supervisor.client.current_state)."""


def save_state(path: Path, data: Mapping[str, Any] | bytes) -> bool:
    """`write_state` for the supervisor: False (and one line in its log) instead of an exception.

    A full disk (ENOSPC), a quota (EDQUOT) or a file-size limit (EFBIG) under `.devctl/` must
    not end the supervisor: an exception on its event loop would take it down and orphan every
    service. `swap_in` leaves the previous state.json whole when the new one cannot be
    written, so readers keep the last good state; the caller tries again on the next change.
    """
    try:
        write_state(path, data)
    except OSError as exc:
        with contextlib.suppress(OSError, ValueError):  # the log may sit on the same full disk
            sys.stderr.write(f"devctl supervisor: could not write {path.name}: {exc}; keeping the last one\n")
            sys.stderr.flush()
        return False
    return True


def read_state(path: Path) -> dict[str, Any] | None:
    """The state, or None when there is none. A file from another version is an error, not a guess."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):  # no .devctl/, or a file in its place
        return None
    except OSError as exc:
        raise unusable(path, exc) from None
    except UnicodeDecodeError as exc:
        raise CorruptState(f"{path}: not valid state (not UTF-8: {exc.reason})") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CorruptState(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or "version" not in data:
        raise CorruptState(f"{path}: not valid state (no version field)")
    if data["version"] != STATE_VERSION:
        raise DevctlError(
            f"{path}: state version {data['version']!r}, this devctl reads version {STATE_VERSION}; "
            "stop the services with the devctl that started them"
        )
    services = data.get("services", [])
    if not isinstance(services, list) or not all(isinstance(s, dict) for s in services):
        raise CorruptState(f"{path}: not valid state ('services' is not a list of objects)")
    return data
