"""The client's address, the one answer every per-client rule uses (the password-reset and
SSO limits, django-axes, the sign-in records, the metrics allow-list, the per-address
rate limit of unauthenticated API and SCIM requests, the audit trail).

``X-Forwarded-For`` and ``X-Forwarded-Proto`` are whatever the client wrote unless a proxy
we run set them, so they are believed only when the direct peer (``REMOTE_ADDR``) is in
``TRUSTED_PROXIES``. Then the client is the right-most address of ``X-Forwarded-For`` that
is not itself a trusted proxy: each proxy appends the peer it saw, so everything left of
the first untrusted hop may be forged. With no trusted proxy configured, neither header is
believed. The walk is written here (not django-ipware) because ipware matches trusted
proxies by string prefix, not by network.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Address = IPv4Address | IPv6Address


def client_address(request: HttpRequest) -> str | None:
    """The client's address as text, or None when the peer's address is not an address."""
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return None
    if not _is_trusted(peer):
        return str(peer)
    client = peer
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _parse(hop)
        if address is None:
            # A trusted proxy passed on something that is no address: the nearest
            # proxy that we can name is the best answer.
            break
        client = address
        if not _is_trusted(address):
            break
    return str(client)


def peer_is_trusted_proxy(request: HttpRequest) -> bool:
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    return peer is not None and _is_trusted(peer)


class ForwardedProtoMiddleware:
    """Drops ``X-Forwarded-Proto`` from a peer that is not a trusted proxy.

    ``SECURE_PROXY_SSL_HEADER`` makes Django believe the header from anyone; only our own
    TLS proxy may say a request came over HTTPS (``request.is_secure()`` decides secure
    redirects, HSTS and CSRF's referer check), so this runs before SecurityMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not peer_is_trusted_proxy(request):
            request.META.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)


def _is_trusted(address: Address) -> bool:
    return any(address in network for network in settings.TRUSTED_PROXIES)


def _parse(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
