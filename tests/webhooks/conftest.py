"""A webhook receiver of the tests' own (an ``http.server`` thread on a free local port),
subscriptions to it, and API clients of Acme and Globex.

Webhook tests allow private URLs (``WEBHOOKS_ALLOW_PRIVATE_URLS``) so deliveries reach
the local receiver; the SSRF tests turn it off again.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from travelportal.webhooks.events import EVENTS


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    port: int
    requests: list[Received] = field(default_factory=list)
    # Statuses to answer, in order; then ``default_status``.
    statuses: deque = field(default_factory=deque)
    default_status: int = 204
    extra_headers: dict[str, str] = field(default_factory=dict)

    def answer(self, *statuses: int) -> None:
        self.statuses.extend(statuses)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.requests.append(Received(path=self.path, headers=dict(self.headers.items()), body=body))
            status = receiver.statuses.popleft() if receiver.statuses else receiver.default_status
            self.send_response(status)
            for name, value in receiver.extra_headers.items():
                self.send_header(name, value)
            payload = b"thanks" if status < 300 else b"not now"
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args) -> None:  # keep pytest's output clean
            pass

    return Handler


@pytest.fixture
def receiver():
    """A local HTTP server that records every request it gets and answers 204 (or what
    ``receiver.answer(...)`` queued)."""
    box = Receiver(url="", port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(box))
    box.port = server.server_address[1]
    box.url = f"http://127.0.0.1:{box.port}/hooks/travel"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def private_urls_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    settings.PUBLIC_BASE_URL = "https://travel.example.com"


@pytest.fixture
def subscription(company, receiver):
    """Acme's subscription to every event, delivered to the local receiver."""
    from travelportal.webhooks.subscriptions import create_subscription

    return create_subscription(company=company, name="ERP sync", url=receiver.url, events=list(EVENTS))


@pytest.fixture
def api_key(company):
    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    return issue_credential(company=company, kind=Credential.Kind.API_KEY, name="tests")[1]


@pytest.fixture
def api(api_key):
    """A client of Acme's API with every scope."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey {api_key}")
    return client


@pytest.fixture
def other_api(other_company):
    from rest_framework.test import APIClient

    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    _, raw = issue_credential(company=other_company, kind=Credential.Kind.API_KEY, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey {raw}")
    return client


def api_with_scopes(company, *scopes: str):
    from rest_framework.test import APIClient

    from travelportal.tokens.models import Credential
    from travelportal.tokens.services import issue_credential

    _, raw = issue_credential(company=company, kind=Credential.Kind.API_KEY, name="scoped", scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey {raw}")
    return client
