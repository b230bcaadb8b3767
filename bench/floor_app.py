"""The floor: the least a WSGI app can do, served by the same gunicorn command and driven by
the same client as the portal, so the portal's figure can be read as a share of what the
machine, gunicorn and the client allow in the same run (``bench/entra_cycle_bench.py``).

It reads the request body (as the portal must) and answers every request with one fixed
JSON document shaped so the Entra job can go on: an ``id`` and an empty ListResponse."""

from __future__ import annotations

import json

BODY = json.dumps(
    {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "Resources": [],
        "startIndex": 1,
        "itemsPerPage": 0,
        "id": "00000000-0000-0000-0000-000000000000",
    }
).encode()
HEADERS = [("Content-Type", "application/scim+json"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    start_response("200 OK", HEADERS)
    return [BODY]
