"""A real SAML 2.0 identity provider for the tests: pysaml2's own ``saml2.server.Server``
with keys of its own (generated at start), served over HTTP on a free local port by a
thread (wsgiref). It plays Entra's part:

* ``GET /metadata`` — its federation metadata (entity ID, login URL, signing certificate);
* ``GET /sso/redirect?SAMLRequest=…&SigAlg=…&Signature=…`` — checks the signed AuthnRequest
  (HTTP-Redirect binding) and shows a sign-in form; ``POST /sso/redirect`` with
  ``username`` answers with an auto-submitting form that POSTs a signed Response to the
  portal's reply URL, with Entra's claims.

Tests that need a Response the IdP should never send (unsigned, another audience, expired,
…) ask ``response_for`` for one directly, with the fault they want.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import html
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import saml2.assertion
from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from travelportal.accounts.saml.keys import generate_key_pair

CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
# The IdP's clock is shifted for one Response at a time; pysaml2 reads it module-wide.
_clock_lock = threading.Lock()


@dataclass
class AuthnRequestSeen:
    id: str
    sp_entity_id: str
    acs_url: str


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class TestIdp:
    """One identity provider. ``entity_id`` defaults to its own metadata URL."""

    __test__ = False  # not a test class, for pytest

    def __init__(self, *, name: str = "Test Entra", entity_id: str | None = None) -> None:
        self.name = name
        self._entity_id = entity_id
        self.folder = tempfile.mkdtemp(prefix="test-idp-")
        pair = generate_key_pair(common_name=name, now=dt.datetime.now(dt.UTC))
        self.certificate_pem = pair.certificate_pem
        self.key_file = os.path.join(self.folder, "idp.key")
        self.cert_file = os.path.join(self.folder, "idp.crt")
        with open(self.key_file, "w") as handle:
            handle.write(pair.private_key_pem)
        with open(self.cert_file, "w") as handle:
            handle.write(pair.certificate_pem)
        self.sp_metadata: list[str] = []
        self.requests: list[AuthnRequestSeen] = []
        # userName -> identity the IdP asserts (Entra's claims).
        self.people: dict[str, dict[str, str]] = {}
        # What the next sign-in's Response gets wrong (``response_for``'s keywords), and
        # ``by``: another TestIdp that signs it instead. Used once, then cleared.
        self.fault: dict[str, Any] = {}
        self.last_response = ""
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = "http://127.0.0.1:0"

    # --- Lifetime ----------------------------------------------------------------------

    def start(self) -> TestIdp:
        self._server = make_server("127.0.0.1", 0, self._wsgi, handler_class=_QuietHandler)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"idp-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def entity_id(self) -> str:
        return self._entity_id or f"{self.base_url}/metadata"

    @property
    def sso_url(self) -> str:
        return f"{self.base_url}/sso/redirect"

    def trust_sp(self, metadata_xml: str | bytes) -> None:
        """Know a service provider (its ACS and AuthnRequest signing certificate)."""
        text = metadata_xml.decode() if isinstance(metadata_xml, bytes) else metadata_xml
        if text not in self.sp_metadata:
            self.sp_metadata.append(text)

    def add_person(self, username: str, *, given_name: str = "", surname: str = "", email: str | None = None) -> None:
        self.people[username.lower()] = {
            "username": username,
            "given_name": given_name,
            "surname": surname,
            "email": email if email is not None else username,
        }

    # --- pysaml2 -----------------------------------------------------------------------

    def server(self, *, lifetime_minutes: int = 15) -> Server:
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": shutil.which("xmlsec1"),
                "key_file": self.key_file,
                "cert_file": self.cert_file,
                "allow_unknown_attributes": True,
                "metadata": {"inline": list(self.sp_metadata)},
                "service": {
                    "idp": {
                        "name": self.name,
                        "endpoints": {"single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)]},
                        "want_authn_requests_signed": True,
                        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": lifetime_minutes},
                                "attribute_restrictions": None,
                                "name_form": NAME_FORMAT_URI,
                            }
                        },
                    }
                },
            }
        )
        return Server(config=config)

    def metadata_xml(self) -> str:
        return entity_descriptor(self.server().config).to_string().decode()

    def read_authn_request(self, query: str) -> AuthnRequestSeen:
        """Check a redirect-bound AuthnRequest and its signature (Bindings §3.4.4.1)."""
        params = {key: values[0] for key, values in parse_qs(query).items()}
        parsed = self.server().parse_authn_request(
            params["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=params.get("RelayState"),
            sigalg=params.get("SigAlg"),
            signature=params.get("Signature"),
        )
        request = parsed.message
        seen = AuthnRequestSeen(
            id=request.id, sp_entity_id=request.issuer.text, acs_url=request.assertion_consumer_service_url
        )
        self.requests.append(seen)
        return seen

    def response_for(
        self,
        request: AuthnRequestSeen | None,
        username: str,
        *,
        in_response_to: str | None = None,
        audience: str | None = None,
        destination: str | None = None,
        sign_assertion: bool = True,
        sign_response: bool = False,
        clock_offset: dt.timedelta = dt.timedelta(0),
        lifetime_minutes: int = 15,
        claims: dict[str, str] | None = None,
        name_id: str | None = None,
    ) -> str:
        """A base64 SAMLResponse asserting ``username`` (Entra's claims: NameID and
        ``name`` hold the userName, ``emailaddress`` the email), signed as asked."""
        person = self.people.get(username.lower()) or {"username": username, "email": username}
        identity = {
            CLAIMS + "givenname": [person.get("given_name", "")],
            CLAIMS + "surname": [person.get("surname", "")],
            CLAIMS + "name": [person["username"]],
            CLAIMS + "emailaddress": [person.get("email", person["username"])],
        }
        if claims is not None:
            identity = {CLAIMS + key: [value] for key, value in claims.items()}
        identity = {key: value for key, value in identity.items() if value and value[0]}
        acs_url = destination or (request.acs_url if request else "")
        sp_entity_id = audience or (request.sp_entity_id if request else "")
        server = self.server(lifetime_minutes=lifetime_minutes)
        with self._clock(clock_offset):
            response = server.create_authn_response(
                identity,
                in_response_to=in_response_to if in_response_to is not None else (request.id if request else None),
                destination=acs_url,
                sp_entity_id=sp_entity_id,
                name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=name_id or person["username"]),
                authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
                sign_assertion=sign_assertion,
                sign_response=sign_response,
                sign_alg=SIG_RSA_SHA256,
                digest_alg=DIGEST_SHA256,
            )
        return base64.b64encode(str(response).encode()).decode()

    @contextlib.contextmanager
    def _clock(self, offset: dt.timedelta) -> Iterator[None]:
        if not offset:
            yield
            return
        seconds = offset.total_seconds()
        instant, in_a_while = saml2.assertion.instant, saml2.assertion.in_a_while
        with _clock_lock:
            saml2.assertion.instant = lambda *a, **k: _shift(instant(*a, **k), seconds)
            saml2.assertion.in_a_while = lambda **k: _shift(in_a_while(**k), seconds)
            try:
                yield
            finally:
                saml2.assertion.instant, saml2.assertion.in_a_while = instant, in_a_while

    # --- HTTP --------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        try:
            if path == "/metadata" and method == "GET":
                return _answer(start_response, "200 OK", self.metadata_xml(), "application/samlmetadata+xml")
            if path == "/sso/redirect" and method == "GET":
                query = environ.get("QUERY_STRING", "")
                self.read_authn_request(query)
                return _answer(start_response, "200 OK", _sign_in_page(query))
            if path == "/sso/redirect" and method == "POST":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                form = {key: values[0] for key, values in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
                request = self.read_authn_request(form["request"])
                username = form.get("username", "")
                if username.lower() not in self.people:
                    return _answer(start_response, "200 OK", _sign_in_page(form["request"], error="Unknown account."))
                fault, self.fault = dict(self.fault), {}
                signer = fault.pop("by", self)
                saml_response = signer.response_for(request, username, **fault)
                self.last_response = saml_response
                return _answer(start_response, "200 OK", _post_page(request.acs_url, saml_response))
        except Exception as exc:  # the browser test shows what went wrong
            return _answer(start_response, "400 Bad Request", f"IdP error: {type(exc).__name__}: {exc}", "text/plain")
        return _answer(start_response, "404 Not Found", "not found", "text/plain")


def _shift(stamp: str, seconds: float) -> str:
    moment = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ") + dt.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _answer(start_response, status: str, body: str, content_type: str = "text/html; charset=utf-8") -> list[bytes]:
    data = body.encode()
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


def _sign_in_page(query: str, error: str = "") -> str:
    return (
        "<!doctype html><title>Test Entra sign-in</title><h1>Sign in to Test Entra</h1>"
        f"{f'<p role=alert>{html.escape(error)}</p>' if error else ''}"
        '<form method="post" action="/sso/redirect">'
        f'<input type="hidden" name="request" value="{html.escape(query)}">'
        '<label>Account <input name="username" autocomplete="off"></label>'
        '<button type="submit">Sign in</button></form>'
    )


def _post_page(acs_url: str, saml_response: str) -> str:
    """The HTTP-POST binding's form (Bindings §3.5.4), submitted by script as Entra does."""
    return (
        '<!doctype html><title>Signing in…</title><body onload="document.forms[0].submit()">'
        f'<form method="post" action="{html.escape(acs_url)}">'
        f'<input type="hidden" name="SAMLResponse" value="{html.escape(saml_response)}">'
        "<noscript><button type=submit>Continue</button></noscript></form></body>"
    )


def authn_request_query(location: str) -> str:
    """The query of the redirect to the IdP (what the browser would GET)."""
    return urlsplit(location).query


def encode_form(data: dict[str, str]) -> str:
    return urlencode(data)
