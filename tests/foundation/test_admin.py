from __future__ import annotations

import datetime
import decimal
import itertools
import uuid

import pytest
from django.contrib import admin
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from travelportal.companies.models import Company, CostCentre, InvoiceProfile, TravelPolicy, User
from travelportal.provisioning.models import ProvisioningLogEntry
from travelportal.provisioning.services import record_event

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
_sequence = itertools.count(1)


def admin_url(model: type[models.Model], view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def sql_of(queries: CaptureQueriesContext) -> str:
    return "\n".join(q["sql"] for q in queries.captured_queries)


@pytest.fixture
def world(company, acme_admin, traveller, other_admin, staff_user):
    """One row of each model this project registers, so every change form has an object."""
    cost_centre = CostCentre.objects.create(company=company, name="Sales")
    policy = TravelPolicy.objects.create(company=company, name="Standard", max_hotel_price_per_night="120.00")
    profile = InvoiceProfile.objects.create(company=company, name="Acme Ltd", currency="EUR")
    traveller.manager = acme_admin
    traveller.cost_centre = cost_centre
    traveller.travel_policy = policy
    traveller.save()
    traveller.invoice_profiles.add(profile)
    record_event(company=company, operation=ProvisioningLogEntry.Operation.CREATE, user=traveller, status=201)
    return company


# Values the generic builder cannot guess for other areas' models (their own rules).
OVERRIDES = {
    # A pending trip needs a current step; a decided one has none.
    "approvals.Trip": {"status": "approved"},
}


def value_for(field: models.Field):
    """A valid value for a required field, for models other helpers register."""
    n = next(_sequence)
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.ForeignKey | models.OneToOneField):
        return instance_of(field.related_model)
    if isinstance(field, models.EmailField):
        return f"person{n}@example.com"
    if isinstance(field, models.URLField):
        return f"https://example.com/{n}"
    if isinstance(field, models.GenericIPAddressField):
        return "127.0.0.1"
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.CharField | models.TextField):
        if "currency" in field.name:
            return "EUR"
        return f"v{n}"[: field.max_length or 20]
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DateTimeField):
        return timezone.now() + datetime.timedelta(days=1)
    if isinstance(field, models.DateField):
        return datetime.date.today()
    if isinstance(field, models.DurationField):
        return datetime.timedelta(minutes=1)
    if isinstance(field, models.DecimalField):
        return decimal.Decimal(1)
    if isinstance(field, models.FloatField):
        return 1.0
    if isinstance(field, models.IntegerField):
        return n
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.BinaryField):
        return b""
    raise LookupError(f"no sample value for {field!r}")


def instance_of(model: type[models.Model]) -> models.Model:
    existing = model._default_manager.order_by().first()
    if existing is not None:
        return existing
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key and (field.has_default() or isinstance(field, models.AutoField)):
            continue
        generated = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        if field.null or field.has_default() or generated:
            continue
        if field.blank and not isinstance(field, models.ForeignKey):
            continue
        values[field.name] = value_for(field)
    values.update(OVERRIDES.get(model._meta.label, {}))
    with transaction.atomic():
        return model._default_manager.create(**values)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_every_registered_changelist_opens_for_support_staff(model, world, staff_client):
    response = staff_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_every_registered_change_form_opens_for_support_staff(model, world, staff_client):
    try:
        obj = instance_of(model)
    except Exception as exc:  # another helper's model whose rows this generic builder cannot make
        pytest.skip(f"cannot build a {model._meta.label} generically ({exc}); add it to the world fixture")

    response = staff_client.get(admin_url(model, "change", obj.pk))

    assert response.status_code == 200
    assert response.context["original"] == obj


@pytest.mark.parametrize("model", [Company, User, CostCentre, InvoiceProfile, TravelPolicy])
def test_the_add_form_of_each_company_model_opens(model, world, staff_client):
    assert staff_client.get(admin_url(model, "add")).status_code == 200


def test_every_list_of_company_data_shows_the_company(world, staff_client):
    for model in (User, CostCentre, InvoiceProfile, TravelPolicy, ProvisioningLogEntry):
        list_display = admin.site._registry[model].get_list_display(None)

        assert "company" in list_display, model


@pytest.mark.parametrize("path", ["/admin/", "/admin/companies/user/", "/admin/companies/company/"])
def test_a_company_admin_is_sent_to_the_admin_login(path, client, acme_admin):
    client.force_login(acme_admin)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_company_admin_cannot_sign_in_to_django_admin(client, acme_admin):
    response = client.post("/admin/login/", {"username": acme_admin.username, "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_anonymous_visitor_is_sent_to_the_admin_login(client, db):
    response = client.get("/admin/companies/user/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_user_search_finds_people_by_username_name_email_and_external_id(world, staff_client, traveller):
    traveller.external_id = "ext-42"
    traveller.save()
    url = admin_url(User, "changelist")

    for term in ("tom@acme", "Traveller", "tom@acme.example", "ext-42"):
        results = list(staff_client.get(url, {"q": term}).context["cl"].result_list)

        assert results == [traveller], term


def test_user_list_filters_by_company_active_and_role(world, staff_client, traveller, acme_admin, other_admin):
    traveller.is_active = False
    traveller.save()
    url = admin_url(User, "changelist")

    def listed(**params):
        return set(staff_client.get(url, params).context["cl"].result_list)

    assert listed(company__id__exact=world.pk) == {traveller, acme_admin}
    assert listed(is_active__exact="0") == {traveller}
    assert listed(role__exact="admin") == {acme_admin, other_admin}


def test_the_scim_ids_are_read_only(world, staff_client, traveller):
    response = staff_client.get(admin_url(User, "change", traveller.pk))

    form_fields = response.context["adminform"].form.fields
    assert "id" not in form_fields
    assert "external_id" not in form_fields
    assert str(traveller.pk) in response.content.decode()


@pytest.mark.parametrize("model", [User, ProvisioningLogEntry, Company, CostCentre, InvoiceProfile, TravelPolicy])
def test_a_changelist_runs_as_many_queries_for_50_rows_as_for_5(model, company, staff_client):
    def make(count: int) -> None:
        for _ in range(count):
            n = next(_sequence)
            if model is User:
                cost_centre = CostCentre.objects.create(company=company, name=f"CC {n}")
                User.objects.create_user(f"p{n}@acme.example", company=company, cost_centre=cost_centre)
            elif model is ProvisioningLogEntry:
                record_event(company=company, operation="update", status=200)
            elif model is Company:
                Company.objects.create(slug=f"company-{n}", name=f"Company {n}")
            else:
                model.objects.create(company=company, name=f"Entry {n}")

    url = admin_url(model, "changelist")

    def queries_for_page() -> CaptureQueriesContext:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(url)
        assert response.status_code == 200
        return queries

    make(5)
    five = queries_for_page()
    make(45)
    fifty = queries_for_page()

    assert len(fifty) == len(five), f"5 rows:\n{sql_of(five)}\n\n50 rows:\n{sql_of(fifty)}"


def test_people_cannot_be_deleted_from_admin(world, staff_client, traveller):
    response = staff_client.get(admin_url(User, "delete", traveller.pk))

    assert response.status_code == 403
    changelist = staff_client.get(admin_url(User, "changelist"))
    assert "delete_selected" not in dict(changelist.context["action_form"].fields["action"].choices)
    assert User.objects.filter(pk=traveller.pk).exists()


def test_support_deactivates_people_with_an_admin_action(world, staff_client, traveller, acme_admin):
    response = staff_client.post(
        admin_url(User, "changelist"),
        {"action": "deactivate_people", "_selected_action": [str(traveller.pk)]},
    )

    assert response.status_code == 302
    traveller.refresh_from_db()
    acme_admin.refresh_from_db()
    assert traveller.is_active is False
    assert acme_admin.is_active is True


def test_support_reactivates_people_with_an_admin_action(world, staff_client, traveller):
    User.objects.filter(pk=traveller.pk).update(is_active=False)

    staff_client.post(
        admin_url(User, "changelist"),
        {"action": "reactivate_people", "_selected_action": [str(traveller.pk)]},
    )

    traveller.refresh_from_db()
    assert traveller.is_active is True


def test_support_sets_a_password_with_the_admin_password_form(world, staff_client, traveller, client):
    # Django names this URL after auth.User whatever the user model is.
    url = reverse("admin:auth_user_password_change", args=[traveller.pk])
    assert staff_client.get(url).status_code == 200

    response = staff_client.post(
        url, {"password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase", "usable_password": "true"}
    )

    assert response.status_code == 302
    traveller.refresh_from_db()
    assert traveller.check_password("a-new-long-passphrase")


def test_support_adds_a_person_with_a_password(world, staff_client):
    response = staff_client.post(
        admin_url(User, "add"),
        {
            "username": "new@acme.example",
            "company": world.pk,
            "role": "traveller",
            "usable_password": "true",
            "password1": "a-new-long-passphrase",
            "password2": "a-new-long-passphrase",
        },
    )

    assert response.status_code == 302
    created = User.objects.get(username="new@acme.example")
    assert created.company == world
    assert created.check_password("a-new-long-passphrase")


def test_adding_a_person_with_a_taken_username_shows_an_error(world, staff_client, other_admin):
    before = User.objects.count()

    response = staff_client.post(
        admin_url(User, "add"),
        {
            "username": other_admin.username.upper(),
            "company": world.pk,
            "role": "traveller",
            "usable_password": "false",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["username"] == ["This userName is already taken."]
    assert User.objects.count() == before


def test_adding_a_person_without_a_company_is_refused_unless_support_staff(world, staff_client):
    response = staff_client.post(
        admin_url(User, "add"), {"username": "nobody@example.com", "role": "traveller", "usable_password": "false"}
    )

    assert response.status_code == 200
    assert "needs a company" in str(response.context["adminform"].form.errors["company"])
    assert not User.objects.filter(username="nobody@example.com").exists()


def change_form_data(response) -> dict:
    """The change form's current values, as the browser would post them back."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or name == "password":
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    return data


def test_the_change_form_refuses_a_manager_of_another_company(world, staff_client, traveller, other_admin):
    url = admin_url(User, "change", traveller.pk)
    data = change_form_data(staff_client.get(url))
    data["manager"] = str(other_admin.pk)

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["manager"] == ["The manager must belong to the same company."]
    traveller.refresh_from_db()
    assert traveller.manager != other_admin


def test_the_change_form_refuses_another_companys_invoice_profile(world, staff_client, traveller, other_company):
    theirs = InvoiceProfile.objects.create(company=other_company, name="Theirs", currency="EUR")
    url = admin_url(User, "change", traveller.pk)
    data = change_form_data(staff_client.get(url))
    before = list(traveller.invoice_profiles.values_list("pk", flat=True))
    data["invoice_profiles"] = [*data.get("invoice_profiles", []), str(theirs.pk)]
    data["title"] = "Not saved"

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert "invoice_profiles" in response.context["adminform"].form.errors
    traveller.refresh_from_db()
    assert traveller.title != "Not saved"
    assert list(traveller.invoice_profiles.values_list("pk", flat=True)) == before


def test_the_change_form_saves_a_valid_edit(world, staff_client, traveller):
    url = admin_url(User, "change", traveller.pk)
    data = change_form_data(staff_client.get(url))
    data["title"] = "Field engineer"

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    traveller.refresh_from_db()
    assert traveller.title == "Field engineer"
    assert traveller.invoice_profiles.count() == 1


def test_the_change_form_offers_only_the_persons_company_catalogue(world, staff_client, traveller, other_company):
    CostCentre.objects.create(company=other_company, name="Theirs")

    form = staff_client.get(admin_url(User, "change", traveller.pk)).context["adminform"].form

    assert {c.company_id for c in form.fields["cost_centre"].queryset} == {world.pk}
    assert {p.company_id for p in form.fields["invoice_profiles"].queryset} == {world.pk}


def test_the_provisioning_log_is_read_only(world, staff_client):
    entry = ProvisioningLogEntry.objects.get()
    url = admin_url(ProvisioningLogEntry, "change", entry.pk)

    response = staff_client.post(url, {"user_name": "changed"})

    assert response.status_code == 403
    assert staff_client.get(admin_url(ProvisioningLogEntry, "add")).status_code == 403
    assert staff_client.get(admin_url(ProvisioningLogEntry, "delete", entry.pk)).status_code == 403
    entry.refresh_from_db()
    assert entry.user_name == "tom@acme.example"


def test_the_provisioning_log_browses_by_company_operation_and_status(world, other_company, staff_client):
    record_event(company=other_company, operation="delete", status=404)
    url = admin_url(ProvisioningLogEntry, "changelist")

    def listed(**params):
        return [(e.company_id, e.operation, e.status) for e in staff_client.get(url, params).context["cl"].result_list]

    assert listed(company__id__exact=world.pk) == [(world.pk, "create", 201)]
    assert listed(operation__exact="delete") == [(other_company.pk, "delete", 404)]
    assert listed(outcome="error") == [(other_company.pk, "delete", 404)]
    assert listed(status="201") == [(world.pk, "create", 201)]
    assert listed(q="tom@acme") == [(world.pk, "create", 201)]


def test_an_edit_that_changes_approval_chains_tells_the_approvals_app(world, staff_client, traveller, acme_admin):
    from travelportal.companies.signals import people_changed

    heard = []

    def receiver(sender, **kwargs):
        heard.append((kwargs["company_id"], list(kwargs["user_ids"])))

    people_changed.connect(receiver)
    try:
        url = admin_url(User, "change", traveller.pk)
        data = change_form_data(staff_client.get(url))
        data["title"] = "No chain change"
        staff_client.post(url, data)
        assert heard == []

        data["manager"] = ""
        staff_client.post(url, data)
    finally:
        people_changed.disconnect(receiver)

    assert heard == [(world.pk, [traveller.pk])]
    traveller.refresh_from_db()
    assert traveller.manager is None


@pytest.mark.parametrize("model", [User, CostCentre, InvoiceProfile, TravelPolicy])
def test_nothing_of_a_company_moves_to_another_company_in_admin(model, world, staff_client, traveller):
    obj = traveller if model is User else model.objects.get(company=world)

    form = staff_client.get(admin_url(model, "change", obj.pk)).context["adminform"].form

    assert "company" not in form.fields


# --- The catalogue through the catalogue domain ---------------------------------------


def test_support_archives_and_restores_catalogue_entries_with_actions(staff_client, company, other_company):
    from travelportal.companies.models import CostCentre

    ours = CostCentre.objects.create(company=company, name="Sales")
    theirs = CostCentre.objects.create(company=other_company, name="Sales")

    response = staff_client.post(
        "/admin/companies/costcentre/",
        {"action": "archive_entries", "_selected_action": [ours.pk, theirs.pk]},
    )

    assert response.status_code == 302
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.is_archived and theirs.is_archived
    staff_client.post("/admin/companies/costcentre/", {"action": "restore_entries", "_selected_action": [ours.pk]})
    ours.refresh_from_db()
    assert not ours.is_archived


def test_a_rename_to_a_name_the_company_uses_is_refused_next_to_the_name(staff_client, company):
    from travelportal.companies.models import TravelPolicy

    TravelPolicy.objects.create(company=company, name="Standard")
    strict = TravelPolicy.objects.create(company=company, name="Strict")

    response = staff_client.post(
        f"/admin/companies/travelpolicy/{strict.pk}/change/",
        {"name": "Standard", "max_flight_cabin": "economy", "hotel_price_currency": "EUR", "allow_out_of_policy": "on"},
    )

    assert response.status_code == 200
    assert "There is already a travel policy with this name." in response.content.decode()
    strict.refresh_from_db()
    assert strict.name == "Strict"


def test_a_catalogue_entry_added_in_admin_is_reported_once(staff_client, company, django_capture_on_commit_callbacks):
    from travelportal.companies.models import CostCentre
    from travelportal.companies.signals import catalogue_changed

    reports = []

    def listen(sender, **kwargs):
        reports.append((kwargs["model"], kwargs["created"], kwargs["changed"]))

    catalogue_changed.connect(listen, dispatch_uid="tests.admin.catalogue")
    try:
        response = staff_client.post("/admin/companies/costcentre/add/", {"company": company.pk, "name": "R&D"})
        centre = CostCentre.objects.get(company=company, name="R&D")
        staff_client.post(f"/admin/companies/costcentre/{centre.pk}/change/", {"name": "Research"})
    finally:
        catalogue_changed.disconnect(dispatch_uid="tests.admin.catalogue")

    assert response.status_code == 302
    assert reports == [(CostCentre, [centre.pk], []), (CostCentre, [], [centre.pk])]
    centre.refresh_from_db()
    assert centre.name == "Research"
