"""TCP and HTTP health probes, each under a hard deadline, with one shared HTTP client.

httpx timeouts apply per socket operation, so a server that trickles bytes could hold a probe
for much longer than its timeout; every probe is therefore wrapped in `anyio.move_on_after`,
which bounds the whole probe. The HTTP client is created once per supervisor (not per probe)
and keeps no idle connections: a single-threaded dev server must not be blocked by a parked
keep-alive socket. Proxies from the environment are ignored: a health check is local.
"""

from __future__ import annotations

from typing import Any

import anyio

from devctl.pipeline.services import HealthCheck
from devctl.supervisor.plan import health_target

#: Hard deadline of one probe (the Go devctl's defaults: tcp 200 ms, http 500 ms).
TCP_DEADLINE_S = 0.2
HTTP_DEADLINE_S = 0.5
#: Probe cadence while a service is starting, and once it is ready.
STARTING_INTERVAL_S = 0.025
READY_INTERVAL_S = 2.0


class Prober:
    """Runs probes; owns the shared HTTP client (created lazily: no httpx import without http checks)."""

    def __init__(self) -> None:
        self._client: Any = None

    async def probe(self, health: HealthCheck) -> tuple[bool, str]:
        """(ok, error). Never raises for a failed probe; never takes longer than the deadline."""
        http = health["type"] == "http"
        deadline = HTTP_DEADLINE_S if http else TCP_DEADLINE_S
        result: tuple[bool, str] = (False, f"no answer within {deadline * 1000:.0f} ms")
        with anyio.move_on_after(deadline):
            result = await (self._http(health["url"]) if http else self._tcp(health))
        return result

    async def _tcp(self, health: HealthCheck) -> tuple[bool, str]:
        target = health_target(health)
        if target is None:
            return False, f"bad address {health.get('address')!r}"
        try:
            stream = await anyio.connect_tcp(*target)
        except OSError as exc:
            return False, _os_error(exc)
        await stream.aclose()
        return True, ""

    async def _http(self, url: str) -> tuple[bool, str]:
        import httpx

        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=HTTP_DEADLINE_S,
                follow_redirects=False,
                trust_env=False,
                limits=httpx.Limits(max_keepalive_connections=0),
                headers={"Connection": "close", "User-Agent": "devctl-health"},
            )
        try:
            resp = await self._client.get(url)
        except httpx.HTTPError as exc:
            cause = exc.__cause__ or exc.__context__
            return False, _os_error(cause) if isinstance(cause, OSError) else (str(exc) or type(exc).__name__)
        if 200 <= resp.status_code < 400:
            return True, ""
        return False, f"HTTP {resp.status_code}"

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _os_error(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__
