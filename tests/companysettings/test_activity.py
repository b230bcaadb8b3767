"""Company Settings > Provisioning activity: the log, its filters and the chart."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from travelportal.companysettings.charts import activity_chart_svg, nice_ceiling
from travelportal.provisioning.activity import activity_buckets
from travelportal.provisioning.models import ProvisioningLogEntry

URL = "/company/provisioning-activity/"


def _log(company, *, ago=dt.timedelta(minutes=1), operation="create", status=201, user_name="", **fields):
    return ProvisioningLogEntry.objects.create(
        company=company,
        created_at=timezone.now() - ago,
        operation=operation,
        status=status,
        user_name=user_name,
        method="POST",
        path="/scim/v2/Users",
        **fields,
    )


@pytest.fixture
def log(company, other_company):
    _log(company, user_name="ann@acme.example")
    _log(company, operation="update", status=200, user_name="bob@acme.example", ago=dt.timedelta(hours=2))
    _log(company, operation="disable", status=200, user_name="cat@acme.example", ago=dt.timedelta(hours=3))
    _log(
        company,
        operation="create",
        status=409,
        user_name="ann@acme.example",
        scim_type="uniqueness",
        detail="userName ann@acme.example is already taken",
        ago=dt.timedelta(hours=4),
    )
    _log(company, operation="update", status=200, user_name="old@acme.example", ago=dt.timedelta(days=3))
    _log(other_company, user_name="spy@globex.example")


def _names(response):
    return [e.user_name for e in response.context["page"].object_list]


def test_the_log_lists_this_companys_requests_newest_first(acme_admin_client, log):
    response = acme_admin_client.get(URL)
    assert response.status_code == 200
    assert _names(response) == [
        "ann@acme.example",
        "bob@acme.example",
        "cat@acme.example",
        "ann@acme.example",
        "old@acme.example",
    ]
    assert "spy@globex.example" not in response.content.decode()


def test_each_error_shows_its_scim_type_and_detail(acme_admin_client, log):
    html = acme_admin_client.get(URL, {"outcome": "error"}).content.decode()
    assert "<code>uniqueness</code>" in html
    assert "userName ann@acme.example is already taken" in html
    assert "Error 409" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"operation": "update"}, ["bob@acme.example", "old@acme.example"]),
        ({"outcome": "error"}, ["ann@acme.example"]),
        ({"outcome": "ok", "operation": "create"}, ["ann@acme.example"]),
        ({"person": "ANN"}, ["ann@acme.example", "ann@acme.example"]),
        ({"operation": "disable", "person": "cat"}, ["cat@acme.example"]),
    ],
)
def test_filtering_the_log(acme_admin_client, log, params, expected):
    assert _names(acme_admin_client.get(URL, params)) == expected


def test_filtering_by_time(acme_admin_client, log):
    since = (timezone.now() - dt.timedelta(days=4)).strftime("%Y-%m-%dT%H:%M")
    until = (timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert _names(acme_admin_client.get(URL, {"since": since, "until": until})) == ["old@acme.example"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"operation": "explode"}, "Select a valid choice"),
        ({"since": "yesterday"}, "Enter a valid date/time"),
        ({"since": "2026-02-02T00:00", "until": "2026-01-01T00:00"}, "must be after"),
        ({"period": "30", "bucket": "hour"}, "Per-hour charts cover at most 7 days"),
    ],
)
def test_invalid_filters_are_explained(acme_admin_client, log, params, message):
    response = acme_admin_client.get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_chart_counts_creates_updates_deactivations_and_errors_per_hour(acme_admin_client, log):
    response = acme_admin_client.get(URL, {"period": "1", "bucket": "hour"})
    totals = {t["key"]: t["total"] for t in response.context["totals"]}
    # The failed create is only an error, and the 3-day-old update is outside the period.
    assert totals == {"creates": 1, "updates": 1, "deactivations": 1, "errors": 1}
    html = response.content.decode()
    assert '<svg class="chart"' in html
    assert 'role="img"' in html
    assert "Provisioning activity per hour</title>" in html
    assert html.count('class="bar-creates"') == 1
    assert html.count('class="bar-errors"') == 1


def test_the_chart_per_day_covers_the_chosen_period(acme_admin_client, log):
    response = acme_admin_client.get(URL, {"period": "7", "bucket": "day"})
    totals = {t["key"]: t["total"] for t in response.context["totals"]}
    assert totals["updates"] == 2
    assert "per day" in response.content.decode()


def test_buckets_are_aggregated_in_one_query_and_filled_with_zeros(company, log):
    with CaptureQueriesContext(connection) as queries:
        buckets = activity_buckets(company=company, days=2, bucket="hour")
    assert len(queries) == 1
    assert len(buckets) == 48
    assert buckets[-1].start == timezone.now().astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    assert sum(b.total for b in buckets) == 4
    assert all(b.total == 0 for b in buckets[:40])


def test_an_empty_chart_says_there_is_no_activity(company):
    svg = activity_chart_svg(activity_buckets(company=company, days=1, bucket="hour"), "hour")
    assert "No provisioning activity in this period" in svg


@pytest.mark.parametrize(("value", "expected"), [(0, 4), (3, 4), (5, 8), (10, 12), (17, 20), (100, 100), (101, 200)])
def test_the_y_axis_ends_on_a_round_number(value, expected):
    assert nice_ceiling(value) == expected


def test_the_log_is_paginated(acme_admin_client, company):
    ProvisioningLogEntry.objects.bulk_create(
        [
            ProvisioningLogEntry(company=company, created_at=timezone.now(), operation="read", status=200)
            for _ in range(60)
        ]
    )
    response = acme_admin_client.get(URL)
    assert len(response.context["page"].object_list) == 50
    assert "Page 1 of 2" in response.content.decode()


def test_the_page_makes_the_same_number_of_queries_for_5_and_50_entries(acme_admin_client, company, traveller):
    def add(n):
        ProvisioningLogEntry.objects.bulk_create(
            [
                ProvisioningLogEntry(
                    company=company, created_at=timezone.now(), operation="update", status=200, user=traveller
                )
                for _ in range(n)
            ]
        )

    add(5)
    with CaptureQueriesContext(connection) as few:
        acme_admin_client.get(URL)
    add(45)
    with CaptureQueriesContext(connection) as many:
        acme_admin_client.get(URL)
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)


def test_a_traveller_cannot_see_the_log(traveller_client, log):
    assert traveller_client.get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, log):
    assert client.get(URL)["Location"].startswith("/accounts/login/")


def test_the_log_refuses_post(acme_admin_client):
    assert acme_admin_client.post(URL).status_code == 405
