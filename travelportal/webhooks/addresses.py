"""Where a webhook may be sent: the URL and address rules that keep a subscription from
turning the portal into a proxy into its own network (server-side request forgery).

Rules, checked when a subscription is saved and again before every attempt on a fresh
DNS answer (the attempt then connects to the very address checked, so a DNS answer that
changes between the check and the connection, DNS rebinding, can't redirect it):

* The URL is absolute ``https`` with a host, and carries no user name or password.
* Every address the host resolves to is public: not loopback, private (RFC 1918, unique
  local fc00::/7), link-local (169.254/16, fe80::/10), shared (100.64/10), multicast,
  reserved or unspecified, and no IPv6 address that wraps such an IPv4 address
  (IPv4-mapped, IPv4-compatible, 6to4, Teredo, NAT64 64:ff9b::/96). One refused address
  refuses the URL, since any answer could be the one used.
* Cloud metadata endpoints (169.254.169.254, fd00:ec2::254 and their kin) are refused
  always, even when private addresses are allowed.
* With ``WEBHOOKS_ALLOW_PRIVATE_URLS`` (development and tests) any other address is
  allowed, and ``http`` too.

Redirects are never followed (``travelportal.webhooks.transport``), so a public
receiver can't bounce an attempt to a private address either.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean instance metadata
        "169.254.170.2",  # AWS ECS task metadata and credentials
        "169.254.170.23",  # AWS EKS pod identity
        "fd00:ec2::254",  # AWS instance metadata over IPv6
        "fd00:ec2::23",  # AWS EKS pod identity over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure WireServer (a public address, so named here)
        "192.0.0.192",  # Oracle Cloud
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class UnsafeUrl(ValueError):
    """A webhook URL the portal refuses to send to; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``addresses``, in the resolver's order) and what
    to ask for there (``host`` for the Host header and TLS, ``path`` with the query)."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def private_urls_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_URLS", False))


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (an address literal resolves to itself)."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in answers))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_metadata_address(address: IPAddress) -> bool:
    if address in METADATA_ADDRESSES:
        return True
    embedded = _embedded_ipv4(address) if address.version == 6 else None
    return embedded is not None and embedded in METADATA_ADDRESSES


def is_public_address(address: IPAddress) -> bool:
    """Whether a webhook may be sent to ``address`` with private addresses refused."""
    if (
        not address.is_global
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or is_metadata_address(address)
    ):
        return False
    embedded = _embedded_ipv4(address) if address.version == 6 else None
    return embedded is None or is_public_address(embedded)


def parse_url(url: str, *, allow_private: bool) -> SplitResult:
    """The URL's parts if its form is acceptable (scheme, host, no credentials)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (raises ValueError for a port that is no number)
    except ValueError as exc:
        raise UnsafeUrl(f"{url!r} is not a valid URL.") from exc
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme.lower() not in schemes:
        raise UnsafeUrl("The URL must start with https://.")
    if not parts.hostname:
        raise UnsafeUrl("The URL must name a host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("The URL must not carry a user name or password.")
    return parts


def check_url(url: str, *, allow_private: bool | None = None) -> Target:
    """Resolve ``url`` and return where to send to, or raise ``UnsafeUrl`` saying why not.

    ``allow_private`` defaults to the ``WEBHOOKS_ALLOW_PRIVATE_URLS`` setting."""
    if allow_private is None:
        allow_private = private_urls_allowed()
    parts = parse_url(url, allow_private=allow_private)
    scheme = parts.scheme.lower()
    host = parts.hostname
    port = parts.port or (443 if scheme == "https" else 80)
    try:
        resolved = resolve_host(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(f"The host {host!r} does not resolve.") from exc
    if not resolved:
        raise UnsafeUrl(f"The host {host!r} does not resolve.")
    for text in resolved:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if is_metadata_address(address):
            raise UnsafeUrl(f"The host {host!r} resolves to a cloud metadata address ({address}).")
        if not allow_private and not is_public_address(address):
            raise UnsafeUrl(f"The host {host!r} resolves to a private or reserved address ({address}).")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=tuple(resolved))


def normalise_url(url: str) -> str:
    """The URL as stored and compared for duplicates: scheme and host in lower case,
    no fragment (it is never sent)."""
    parts = urlsplit(url.strip())
    netloc = parts.netloc.lower() if parts.netloc else parts.netloc
    return parts._replace(scheme=parts.scheme.lower(), netloc=netloc, fragment="").geturl()
