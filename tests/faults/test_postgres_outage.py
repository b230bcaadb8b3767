"""PostgreSQL stopped and started under a light SCIM load: 503 with a SCIM body and
Retry-After during the outage, never Django's HTML 500; success again within seconds of
the start, with no restart of the portal; nothing committed before is lost."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from .conftest import Load, http, record_figures, wait_until

pytestmark = pytest.mark.faults

OUTAGE_SECONDS = 4.0
RECOVERY_BOUND = 5.0


def test_every_scim_request_gets_503_while_postgresql_is_down_and_succeeds_after(healthy, capsys):
    stack = healthy
    before = {}
    for n in range(5):
        reply = stack.create_user(f"before-{n}-{time.monotonic_ns()}@faults.example")
        assert reply.status == 201, reply.body
        before[reply.json["id"]] = reply.json["userName"]

    with Load(stack, threads=3) as load:
        time.sleep(2)
        stack.stop_postgres()
        down_at = time.monotonic()
        page = http(stack.base, "GET", "/company/", headers={"Cookie": "sessionid=" + "a1" * 16})
        time.sleep(OUTAGE_SECONDS)
        start_at = time.monotonic()
        stack.start_postgres()
        up_at = time.monotonic()
        wait_until(
            lambda: any(r.started >= up_at and r.status in (200, 201) for r in list(load.replies)),
            timeout=RECOVERY_BOUND + 5, what="a SCIM success after PostgreSQL started",
        )  # fmt: skip
        time.sleep(3)
    page_after = http(stack.base, "GET", "/company/", headers={"Cookie": "sessionid=" + "a1" * 16})

    replies = load.replies
    assert replies, "the load sent nothing"
    # Never a 500, never HTML, never a dropped connection: gunicorn stayed up throughout.
    assert [r for r in replies if r.status is None] == []
    assert Counter(r.status for r in replies).keys() <= {200, 201, 503}, Counter(r.status for r in replies)
    assert all(r.content_type.startswith("application/scim+json") for r in replies)
    assert all(r.is_scim_unavailable() for r in replies if r.status == 503)

    during = [r for r in replies if r.started >= down_at and r.started + r.elapsed <= start_at]
    assert len(during) >= 10, f"only {len(during)} requests fell inside the outage"
    assert all(r.is_scim_unavailable() for r in during), [(r.method, r.status, r.body[:200]) for r in during]
    assert {r.method for r in during} == {"GET", "POST", "PATCH"}

    first_success = min(
        (r for r in replies if r.started >= up_at and r.status in (200, 201)), key=lambda r: r.started + r.elapsed
    )
    recovery = first_success.started + first_success.elapsed - up_at
    assert recovery < RECOVERY_BOUND
    settled = [r for r in replies if r.started >= up_at + 1.0]
    assert settled and all(r.status in (200, 201) for r in settled), Counter(r.status for r in settled)

    # The HTML pages: a plain 503 page during the outage, the sign-in redirect after.
    assert page.status == 503 and page.content_type.startswith("text/html"), (page.status, page.body[:300])
    assert page.headers.get("retry-after") == "5" and b"Temporarily unavailable" in page.body
    assert page_after.status in (200, 302), page_after.status

    # Nothing committed is lost: every person answered 201 exists, every title last
    # answered 200 is stored (or one sent after it, should a 503 have followed a commit).
    created = {**before, **{v: k for k, v in load.created.items()}}
    stored = {
        str(pk) for (pk,) in stack.sql("SELECT id FROM companies_user WHERE id = ANY(%s::uuid[])", (list(created),))
    }
    assert stored == set(created), f"{len(set(created) - stored)} committed people are missing"
    for owner, title in load.last_patched.items():
        (current,) = stack.sql("SELECT title FROM companies_user WHERE id = %s", (owner,))[0]
        sent = load.titles_sent[owner]
        assert current in sent[sent.index(title) :], (current, title)
    assert stack.scim("GET", f"Users/{next(iter(before))}").status == 200

    by_method = Counter(r.method for r in during)
    slowest = max(r.elapsed for r in during)
    record_figures(
        capsys,
        "PostgreSQL stopped (pg_ctl -m fast) and started under load, 3 clients",
        f"{len(during)} SCIM requests during the {start_at - down_at:.1f} s outage, all 503 + Retry-After 5 + SCIM "
        f"error body (GET {by_method['GET']}, POST {by_method['POST']}, PATCH {by_method['PATCH']}), slowest "
        f"{slowest * 1000:.0f} ms; no 500, no HTML; a page with a session: plain 503 page; "
        f"{len(replies)} requests in all",
        f"first success {recovery:.2f} s after PostgreSQL accepted connections, no portal restart; "
        f"{len(created)} people created and {len(load.last_patched)} PATCHed titles all kept",
    )
