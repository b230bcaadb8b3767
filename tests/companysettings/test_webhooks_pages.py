"""Company Settings > Developers > Webhooks: the subscriptions and each one's delivery
log for the company's admins; the permission matrix; turning a subscription on and off;
query counts of both lists."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from travelportal.webhooks.models import Delivery, Subscription


@pytest.fixture
def subscription(company):
    return Subscription.objects.create(
        company=company,
        name="ERP sync",
        url="https://erp.acme.example/hooks",
        secret="whsec_x",
        events=["trip.created"],
    )


@pytest.fixture
def theirs(other_company):
    return Subscription.objects.create(
        company=other_company, name="Globex BI", url="https://bi.globex.example/in", secret="s", events=["trip.created"]
    )


def log(subscription, *, count: int = 1) -> list[Delivery]:
    deliveries = []
    for _ in range(count):
        delivery = Delivery.objects.create(
            subscription=subscription, event="trip.created", body="{}", status="succeeded", attempt_count=2
        )
        delivery.attempts.create(number=1, started_at=timezone.now(), status_code=503, duration_ms=41, error="HTTP 503")
        delivery.attempts.create(number=2, started_at=timezone.now(), status_code=204, duration_ms=12)
        deliveries.append(delivery)
    return deliveries


def pages(subscription) -> list[str]:
    return ["/company/developers/webhooks/", f"/company/developers/webhooks/{subscription.pk}/"]


def posts(subscription) -> list[str]:
    base = f"/company/developers/webhooks/{subscription.pk}"
    return [f"{base}/enable", f"{base}/disable"]


@pytest.mark.django_db
def test_the_list_shows_the_companys_subscriptions_only(acme_admin_client, subscription, theirs):
    response = acme_admin_client.get("/company/developers/webhooks/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "ERP sync" in html
    assert "https://erp.acme.example/hooks" in html
    assert "Globex BI" not in html
    assert "whsec_x" not in html
    assert 'aria-current="page">Developers<' in html


@pytest.mark.django_db
def test_the_delivery_log_shows_every_attempt(acme_admin_client, subscription):
    [delivery] = log(subscription)

    html = acme_admin_client.get(f"/company/developers/webhooks/{subscription.pk}/").content.decode()

    assert str(delivery.pk) in html
    assert "Delivered" in html
    assert "HTTP 503 · 41 ms · HTTP 503" in html
    assert "HTTP 204 · 12 ms" in html


@pytest.mark.django_db
def test_another_companys_subscription_is_not_found(acme_admin_client, theirs):
    for url in pages(theirs):
        if url.endswith(f"{theirs.pk}/"):
            assert acme_admin_client.get(url).status_code == 404
    for url in posts(theirs):
        assert acme_admin_client.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.enabled


@pytest.mark.django_db
def test_a_traveller_is_refused(traveller_client, subscription):
    for url in pages(subscription):
        assert traveller_client.get(url).status_code == 403
    for url in posts(subscription):
        assert traveller_client.post(url).status_code == 403
    subscription.refresh_from_db()
    assert subscription.enabled


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client, subscription):
    for url in pages(subscription):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    for url in posts(subscription):
        assert client.post(url).status_code == 302
    subscription.refresh_from_db()
    assert subscription.enabled


@pytest.mark.django_db
def test_wrong_methods_are_refused(acme_admin_client, subscription):
    for url in pages(subscription):
        assert acme_admin_client.post(url).status_code == 405
    for url in posts(subscription):
        assert acme_admin_client.get(url).status_code == 405


@pytest.mark.django_db
def test_turning_a_disabled_subscription_on_again_clears_its_failures(acme_admin_client, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(
        enabled=False, consecutive_failures=5, disabled_reason="Disabled after 5 deliveries in a row failed."
    )

    response = acme_admin_client.post(f"/company/developers/webhooks/{subscription.pk}/enable", follow=True)

    assert response.status_code == 200
    assert "is on again" in response.content.decode()
    subscription.refresh_from_db()
    assert (subscription.enabled, subscription.consecutive_failures, subscription.disabled_reason) == (True, 0, "")


@pytest.mark.django_db
def test_turning_a_subscription_off(acme_admin_client, subscription):
    response = acme_admin_client.post(f"/company/developers/webhooks/{subscription.pk}/disable")

    assert response.status_code == 302
    subscription.refresh_from_db()
    assert not subscription.enabled
    assert subscription.disabled_reason == ""


def _count(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries), "\n".join(q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db
def test_the_list_page_runs_the_same_queries_for_any_length(acme_admin_client, company, subscription):
    few, _ = _count(acme_admin_client, "/company/developers/webhooks/")
    for n in range(10):
        Subscription.objects.create(
            company=company, name=f"S{n}", url=f"https://s{n}.acme.example/", secret="s", events=["trip.created"]
        )

    many, sql = _count(acme_admin_client, "/company/developers/webhooks/")

    assert many == few, sql


@pytest.mark.django_db
def test_the_delivery_log_runs_the_same_queries_for_any_length(acme_admin_client, subscription):
    url = f"/company/developers/webhooks/{subscription.pk}/"
    log(subscription)
    few, _ = _count(acme_admin_client, url)
    log(subscription, count=20)

    many, sql = _count(acme_admin_client, url)

    assert many == few, sql


@pytest.mark.django_db
def test_the_developers_page_links_to_the_webhooks(acme_admin_client):
    html = acme_admin_client.get("/company/developers/").content.decode()

    assert 'href="/company/developers/webhooks/"' in html
