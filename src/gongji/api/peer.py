"""Who is at the other end of a request: the client's address, and whether the page was served
over HTTPS.

A reverse proxy says so in X-Forwarded-For and X-Forwarded-Proto, but anyone can send those
headers: they are believed only from a peer whose address is in the settings' trusted_proxies
(GONGJI_TRUSTED_PROXIES; empty by default, so no one is). `gongji serve` runs uvicorn without
its own proxy-header handling, so this is the one place that decides.
"""

from __future__ import annotations

import functools
import ipaddress

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def _networks(listed: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False)
                 for p in listed.split(",") if p.strip())


def _trusted(request: Request, address: str | None) -> bool:
    settings = getattr(request.app.state, "settings", None)
    listed = getattr(settings, "trusted_proxies", "") or ""
    if not address or not listed:
        return False
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in _networks(listed))


def _peer(request: Request) -> str | None:
    return request.client.host if request.client else None


def client_address(request: Request) -> str | None:
    """The client's address: the peer's, or, from a trusted proxy, the nearest address in
    X-Forwarded-For that is not itself a trusted proxy."""
    peer = _peer(request)
    if not _trusted(request, peer):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")
            if h.strip()]
    for hop in reversed(hops):
        if not _trusted(request, hop):
            return hop
    return hops[0] if hops else peer


def is_https(request: Request) -> bool:
    """Served over HTTPS: by the request itself, or by a trusted proxy's X-Forwarded-Proto
    (its first value: the scheme the client used)."""
    if request.url.scheme == "https":
        return True
    if not _trusted(request, _peer(request)):
        return False
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return proto == "https"
