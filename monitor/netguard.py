"""Which addresses a feed fetch may connect to, checked at connect time.

A feed URL is untrusted input: ``http://169.254.169.254/`` or a name that resolves to ``10.0.0.5`` would
turn the poller into a way to read the internal network. Checking the URL's host before the request is
not enough, because DNS can answer differently a moment later (DNS rebinding) and odd spellings
(``2130706433``, ``0x7f.1``, ``[::ffff:127.0.0.1]``) slip past string checks. So the check lives in the
network layer: :class:`GuardedBackend` is an httpcore network backend that resolves the host itself,
checks every resolved address, and connects to an allowed address only. httpcore still sends the original
host name in the ``Host`` header and as the TLS server name (SNI), so virtual hosts and certificate
checks are unaffected.

This module does no HTTP and knows nothing about feeds; :mod:`monitor.fetch` plugs it in, and the
connections themselves are made by :mod:`monitor.aionet`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore

from monitor.aionet import AsyncioBackend

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges Python's ``is_global`` does not cover on every version, listed so the rule is explicit.
_EXTRA_BLOCKED = [
    ipaddress.ip_network("100.64.0.0/10"),  # CGNAT, shared address space
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64 well-known prefix: reaches IPv4 space behind a gateway
    ipaddress.ip_network("64:ff9b:1::/48"),  # NAT64 local-use prefix
    ipaddress.ip_network("2001:db8::/32"),  # documentation
]


class AddressRefused(Exception):
    """Raised inside the network layer when no resolved address of a host may be used."""

    def __init__(self, host: str, addresses: Iterable[str], reason: str) -> None:
        self.host = host
        self.addresses = list(addresses)
        self.reason = reason
        super().__init__(f"{host}: {reason}")


def refusal_reason(address: IPAddress) -> str | None:
    """Why ``address`` must not be contacted, or None when it is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "IPv4-mapped IPv6 address"
        if address.sixtofour is not None:
            inner = refusal_reason(address.sixtofour)
            if inner:
                return f"6to4 address embedding a {inner}"
        if address.teredo is not None:
            return "Teredo address"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    )
    for label, hit in checks:
        if hit:
            return f"{label} address"
    for network in _EXTRA_BLOCKED:
        if address.version == network.version and address in network:
            return f"address in {network}"
    if not address.is_global:
        return "non-global address"
    return None


async def resolve(host: str, port: int) -> list[str]:
    """All addresses ``host`` resolves to, in resolver order (numeric hosts resolve to themselves)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        ip = str(sockaddr[0]).split("%", 1)[0]
        if ip not in seen:
            seen.append(ip)
    return seen


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore backend that refuses non-public addresses unless ``allow_private`` is set."""

    def __init__(self, *, allow_private: bool, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.allow_private = allow_private
        self.inner = inner or AsyncioBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await resolve(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        allowed = addresses
        if not self.allow_private:
            reasons = {ip: refusal_reason(ipaddress.ip_address(ip)) for ip in addresses}
            allowed = [ip for ip in addresses if reasons[ip] is None]
            if not allowed:
                shown = ", ".join(f"{ip} ({reasons[ip]})" for ip in addresses)
                raise AddressRefused(host, addresses, f"refused to connect to {shown}")
        last: Exception | None = None
        for ip in allowed:
            try:
                return await self.inner.connect_tcp(
                    ip, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused(path, [], "unix sockets are never used for feeds")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
