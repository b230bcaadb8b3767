"""One HTTP POST to a checked ``Target``, with the standard library's ``http.client``.

The connection goes to the address ``travelportal.webhooks.addresses.check_url``
approved, never to a second DNS answer; the Host header and TLS (SNI and certificate
verification) still use the host name. Redirects are not followed: a 3xx is an answer
like any other non-2xx, and so a failed attempt.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from travelportal.webhooks.addresses import Target

# What of the receiver's answer the delivery log keeps.
RESPONSE_EXCERPT_CHARS = 500


class TransportError(Exception):
    """The request got no HTTP answer (connection refused, TLS, timeout...)."""

    def __init__(self, message: str, *, duration_ms: int) -> None:
        super().__init__(message)
        self.duration_ms = duration_ms


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str
    duration_ms: int
    # Where a 3xx answer pointed (never followed).
    location: str = ""


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def connect_to(target: Target, *, timeout: float) -> http.client.HTTPConnection:
    """An HTTP(S) connection to the first address ``check_url`` approved for ``target``,
    never to a second DNS answer (a name that re-resolves to a private address), with
    ``timeout`` seconds per socket operation. Webhook deliveries and SSO metadata fetches
    both go out through here."""
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    return connection_class(target.host, target.port, address=target.addresses[0], timeout=timeout)


def post(*, target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body`` to the first checked address of ``target``; raises ``TransportError``
    when no HTTP answer came back within ``timeout`` seconds per socket operation."""
    connection = connect_to(target, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_EXCERPT_CHARS * 4).decode("utf-8", "replace")[:RESPONSE_EXCERPT_CHARS]
    except (OSError, http.client.HTTPException) as exc:
        raise TransportError(_describe(exc), duration_ms=_since(started)) from exc
    finally:
        connection.close()
    return Answer(
        status=response.status,
        excerpt=excerpt,
        duration_ms=_since(started),
        location=(response.getheader("Location") or "")[:300],
    )


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "Timed out waiting for the receiver."
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "Connection refused."
    return f"{type(exc).__name__}: {exc}"[:500]
