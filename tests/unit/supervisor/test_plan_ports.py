"""`plan.check_ports`: a health port that already accepts before its service started is an
error naming it; IP addresses are connected to without a name look-up, names still resolve."""

from __future__ import annotations

import socket

import pytest

from devctl.errors import DevctlError
from devctl.supervisor import plan


def _listener(family: int, host: str) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.bind((host, 0))
    sock.listen(1)
    return sock


def _svc(address: str) -> dict:
    return {"name": "web", "health": {"type": "tcp", "address": address}}


@pytest.mark.parametrize("spelling", ["127.0.0.1:{port}", "localhost:{port}"])
def test_a_port_taken_before_the_start_is_an_error_and_a_free_one_is_not(spelling: str) -> None:
    with _listener(socket.AF_INET, "127.0.0.1") as sock:
        port = sock.getsockname()[1]
        address = spelling.format(port=port)
        with pytest.raises(DevctlError, match=f"health port .*:{port} is already in use"):
            plan.check_ports([_svc(address)])  # type: ignore[list-item]
    plan.check_ports([_svc(address)])  # type: ignore[list-item]  # closed now: nothing to say


def test_an_ipv6_address_is_checked_too() -> None:
    try:
        sock = _listener(socket.AF_INET6, "::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with sock:
        port = sock.getsockname()[1]
        with pytest.raises(DevctlError, match="already in use"):
            plan.check_ports([_svc(f"[::1]:{port}")])  # type: ignore[list-item]


def test_ip_family_tells_addresses_from_names() -> None:
    assert plan._ip_family("127.0.0.1") == socket.AF_INET
    assert plan._ip_family("::1") == socket.AF_INET6
    assert plan._ip_family("localhost") is None
    assert plan._ip_family("") is None
