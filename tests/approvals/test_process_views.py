"""Company Settings > Approval processes: list, filters, a process's page, manual editing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.models import ApprovalProcess
from approvals.services.automatic_processes import rebuild_approval_processes
from approvals.services.manual_processes import save_process


@pytest.fixture
def acme_admin_client(client, acme_admin):
    client.force_login(acme_admin)
    return client


@pytest.fixture
def auto_process(automated, make_person):
    boss = make_person("boss", family_name="Bossman")
    make_person("rita", manager=boss)
    rebuild_approval_processes(company=automated)
    return ApprovalProcess.objects.get(owner=boss)


def test_the_list_shows_every_kind_and_filters_by_kind_and_person(
    acme_admin_client, auto_process, company, acme_admin, traveller
):
    save_process(company=company, name="Sales trips", kind="manual", requesters=[traveller], steps=[[acme_admin]])
    html = acme_admin_client.get("/company/approval-processes/").content.decode()
    assert "Sales trips" in html and "Boss Bossman" in html
    html = acme_admin_client.get("/company/approval-processes/?kind=automatic").content.decode()
    assert "Sales trips" not in html and "Boss Bossman" in html
    html = acme_admin_client.get("/company/approval-processes/?q=rita").content.decode()
    assert "Sales trips" not in html and "Boss Bossman" in html
    html = acme_admin_client.get("/company/approval-processes/?q=alice").content.decode()
    assert "Sales trips" in html and "Boss Bossman" not in html


def test_searching_by_one_requester_still_counts_every_requester(acme_admin_client, auto_process, make_person):
    make_person("rob", manager=auto_process.owner)
    make_person("ria", manager=auto_process.owner)
    rebuild_approval_processes(company=auto_process.company)
    for query in ("rita", "boss"):
        response = acme_admin_client.get(f"/company/approval-processes/?q={query}")
        assert [p.requester_count for p in response.context["page"].object_list] == [3], query


def test_an_invalid_filter_shows_everything(acme_admin_client, auto_process):
    response = acme_admin_client.get("/company/approval-processes/?kind=bogus")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert list(response.context["page"].object_list) == [auto_process]


def test_an_automatic_process_is_read_only(acme_admin_client, auto_process):
    html = acme_admin_client.get(f"/company/approval-processes/{auto_process.pk}/").content.decode()
    assert "read-only" in html and "Rita" in html
    assert acme_admin_client.get(f"/company/approval-processes/{auto_process.pk}/edit/").status_code == 403
    assert acme_admin_client.post(f"/company/approval-processes/{auto_process.pk}/delete/").status_code == 403
    assert ApprovalProcess.objects.filter(pk=auto_process.pk).exists()


def test_an_admin_creates_edits_and_deletes_a_manual_process(acme_admin_client, company, acme_admin, traveller):
    response = acme_admin_client.post(
        "/company/approval-processes/new/",
        {"name": "Sales", "kind": "manual", "requesters": [traveller.pk], "step_1": [acme_admin.pk]},
    )
    process = ApprovalProcess.objects.get()
    assert response.url == f"/company/approval-processes/{process.pk}/"
    assert (process.kind, list(process.requesters.all())) == ("manual", [traveller])
    assert [list(s.approvers.all()) for s in process.steps.all()] == [[acme_admin]]
    response = acme_admin_client.post(
        f"/company/approval-processes/{process.pk}/edit/",
        {"name": "Sales 2", "kind": "manual", "requesters": [traveller.pk], "step_1": [acme_admin.pk],
         "step_2": [traveller.pk]},
    )  # fmt: skip
    process.refresh_from_db()
    assert process.name == "Sales 2"
    assert process.steps.count() == 2
    acme_admin_client.post(f"/company/approval-processes/{process.pk}/delete/")
    assert not ApprovalProcess.objects.exists()


def test_invalid_process_input_shows_errors_and_writes_nothing(acme_admin_client, traveller, other_admin):
    response = acme_admin_client.post(
        "/company/approval-processes/new/",
        {"name": "", "kind": "manual", "requesters": [], "step_1": [other_admin.pk], "step_3": [traveller.pk]},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in html
    assert "Select a valid choice" in html
    assert "Fill step 2 before step 3." in html
    assert not ApprovalProcess.objects.exists()


def test_a_second_default_process_is_refused(acme_admin_client, company, acme_admin):
    save_process(company=company, name="Default", kind="default", requesters=[], steps=[[acme_admin]])
    response = acme_admin_client.post(
        "/company/approval-processes/new/", {"name": "Another", "kind": "default", "step_1": [acme_admin.pk]}
    )
    assert response.status_code == 400
    assert "already has a default process" in response.content.decode()
    assert ApprovalProcess.objects.count() == 1


def test_another_companys_process_is_a_404(client, other_admin, auto_process):
    client.force_login(other_admin)
    assert client.get(f"/company/approval-processes/{auto_process.pk}/").status_code == 404
    assert client.get(f"/company/approval-processes/{auto_process.pk}/edit/").status_code == 404
    assert client.post(f"/company/approval-processes/{auto_process.pk}/delete/").status_code == 404
    assert "Boss" not in client.get("/company/approval-processes/").content.decode()


def test_a_traveller_gets_403(client, traveller, company, acme_admin, auto_process):
    manual = save_process(company=company, name="Sales", kind="manual", requesters=[traveller], steps=[[acme_admin]])
    client.force_login(traveller)
    for url in ("/company/approval-processes/", f"/company/approval-processes/{auto_process.pk}/",
                "/company/approval-processes/new/", f"/company/approval-processes/{manual.pk}/edit/"):  # fmt: skip
        assert client.get(url).status_code == 403
    assert client.post(f"/company/approval-processes/{manual.pk}/edit/", {"name": "Mine"}).status_code == 403
    assert client.post(f"/company/approval-processes/{manual.pk}/delete/").status_code == 403
    manual.refresh_from_db()
    assert manual.name == "Sales"


def test_anonymous_visitors_sign_in_first(client, auto_process):
    for url in ("/company/approval-processes/", f"/company/approval-processes/{auto_process.pk}/",
                "/company/approval-processes/new/"):  # fmt: skip
        assert client.get(url).url.startswith("/accounts/login/")
    response = client.post(f"/company/approval-processes/{auto_process.pk}/delete/")
    assert response.url.startswith("/accounts/login/")
    assert ApprovalProcess.objects.exists()


def test_wrong_methods_get_405(acme_admin_client, auto_process):
    assert acme_admin_client.post("/company/approval-processes/").status_code == 405
    assert acme_admin_client.post(f"/company/approval-processes/{auto_process.pk}/").status_code == 405
    assert acme_admin_client.get(f"/company/approval-processes/{auto_process.pk}/delete/").status_code == 405


def test_the_list_runs_a_constant_number_of_queries(acme_admin_client, automated, make_person):
    def add_teams(n):
        for _ in range(n):
            boss = make_person()
            for _ in range(3):
                make_person(manager=boss)
        rebuild_approval_processes(company=automated)

    add_teams(1)
    with CaptureQueriesContext(connection) as few:
        assert acme_admin_client.get("/company/approval-processes/").status_code == 200
    add_teams(10)
    with CaptureQueriesContext(connection) as many:
        assert acme_admin_client.get("/company/approval-processes/?q=person").status_code == 200
    sql = "\n".join(q["sql"] for q in many.captured_queries)
    assert len(many) == len(few), f"{len(few)} then {len(many)} queries:\n{sql}"
    assert len(many) <= 10, sql


@pytest.mark.parametrize(
    ("name", "args", "path", "view"),
    [
        ("companysettings:approval-processes", [], "/company/approval-processes/", "process_list"),
        ("companysettings:approval-process-create", [], "/company/approval-processes/new/", "process_edit"),
        ("companysettings:approval-process", [7], "/company/approval-processes/7/", "process_detail"),
        ("companysettings:approval-process-edit", [7], "/company/approval-processes/7/edit/", "process_edit"),
        ("companysettings:approval-process-delete", [7], "/company/approval-processes/7/delete/", "process_delete"),
    ],
)
def test_the_pages_keep_their_urls_and_live_beside_the_other_company_settings_views(name, args, path, view):
    from django.urls import resolve, reverse

    assert reverse(name, args=args) == path
    match = resolve(path)
    assert (match.func.__module__, match.func.__name__) == ("travelportal.companysettings.views.approvals", view)
