"""Company Settings > Cost centres, Invoice profiles, Travel policies: list, create,
edit, archive and restore. The three share their views; ``kind`` picks the model."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from travelportal.companies.catalogue import (
    archive_catalogue_entry,
    create_catalogue_entry,
    restore_catalogue_entry,
    update_catalogue_entry,
)
from travelportal.companies.models import CatalogueEntry, Company, CostCentre, InvoiceProfile, TravelPolicy
from travelportal.companysettings.access import company_admin_required
from travelportal.companysettings.forms import CatalogueEntryForm, CostCentreForm, InvoiceProfileForm, TravelPolicyForm

PAGE_SIZE = 25


@dataclass(frozen=True)
class Kind:
    slug: str
    model: type[CatalogueEntry]
    form: type[CatalogueEntryForm]
    singular: str
    plural: str
    # (heading, attribute or get_*_display) columns after the name.
    columns: tuple[tuple[str, str], ...] = ()

    def url_name(self, action: str = "") -> str:
        return f"companysettings:{self.slug}" + (f"-{action}" if action else "")

    @property
    def list_url(self) -> str:
        return reverse(self.url_name())

    @property
    def create_url(self) -> str:
        return reverse(self.url_name("create"))


KINDS = {
    "cost-centres": Kind("cost-centres", CostCentre, CostCentreForm, "cost centre", "Cost centres"),
    "invoice-profiles": Kind(
        "invoice-profiles",
        InvoiceProfile,
        InvoiceProfileForm,
        "invoice profile",
        "Invoice profiles",
        (("Legal name", "legal_name"), ("Currency", "currency"), ("Billing", "get_billing_period_display")),
    ),
    "travel-policies": Kind(
        "travel-policies",
        TravelPolicy,
        TravelPolicyForm,
        "travel policy",
        "Travel policies",
        (
            ("Flight cabin", "get_max_flight_cabin_display"),
            ("Hotel per night", "hotel_limit"),
            ("Trip limit", "max_trip_cost"),
        ),
    ),
}


def _kind(kind: str) -> Kind:
    try:
        return KINDS[kind]
    except KeyError:
        raise Http404("No such settings list.") from None


def _rows(kind: Kind, entries) -> list[dict]:
    rows = []
    for entry in entries:
        values = []
        for heading, attr in kind.columns:
            if attr == "hotel_limit":
                value = (
                    f"{entry.max_hotel_price_per_night} {entry.hotel_price_currency}"
                    if entry.max_hotel_price_per_night is not None
                    else ""
                )
            else:
                value = getattr(entry, attr)
                value = value() if callable(value) else value
            values.append((heading, "" if value is None else value))
        rows.append(
            {
                "entry": entry,
                "values": values,
                "edit_url": reverse(kind.url_name("edit"), args=[entry.pk]),
                "archive_url": reverse(kind.url_name("archive"), args=[entry.pk]),
                "restore_url": reverse(kind.url_name("restore"), args=[entry.pk]),
            }
        )
    return rows


@company_admin_required
@require_GET
def catalogue_list(request: HttpRequest, company: Company, kind: str) -> HttpResponse:
    k = _kind(kind)
    show_archived = request.GET.get("archived") == "1"
    entries = k.model.objects.for_company(company)
    entries = entries.filter(archived_at__isnull=not show_archived).order_by("name", "id")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "section": k.slug,
        "kind": k,
        "page": page,
        "rows": _rows(k, page.object_list),
        "show_archived": show_archived,
    }
    return render(request, "companysettings/catalogue_list.html", context)


def _save(request: HttpRequest, company: Company, k: Kind, instance: CatalogueEntry | None) -> HttpResponse:
    form = k.form(request.POST or None, instance=instance, company=company)
    if request.method == "POST" and form.is_valid():
        try:
            if instance is None:
                entry = create_catalogue_entry(company=company, model=k.model, values=form.values())
            else:
                update_catalogue_entry(entry=instance, changes=form.changes())
                entry = instance
        except ValidationError as exc:
            # Two admins saving the same name at once: the constraint caught what clean_name could not.
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved the {k.singular} “{entry.name}”.")
            return redirect(f"companysettings:{k.slug}")
    action_url = reverse(k.url_name("edit"), args=[instance.pk]) if instance else k.create_url
    context = {"section": k.slug, "kind": k, "form": form, "entry": instance, "action_url": action_url}
    return render(request, "companysettings/catalogue_form.html", context, status=400 if form.is_bound else 200)


@company_admin_required
@require_http_methods(["GET", "POST"])
def catalogue_create(request: HttpRequest, company: Company, kind: str) -> HttpResponse:
    return _save(request, company, _kind(kind), None)


@company_admin_required
@require_http_methods(["GET", "POST"])
def catalogue_edit(request: HttpRequest, company: Company, kind: str, pk: int) -> HttpResponse:
    k = _kind(kind)
    return _save(request, company, k, get_object_or_404(k.model.objects.for_company(company), pk=pk))


@company_admin_required
@require_POST
def catalogue_archive(request: HttpRequest, company: Company, kind: str, pk: int) -> HttpResponse:
    k = _kind(kind)
    entry = get_object_or_404(k.model.objects.for_company(company), pk=pk)
    archive_catalogue_entry(entry=entry)
    messages.success(request, f"Archived the {k.singular} “{entry.name}”. It is no longer offered in choices.")
    return redirect(f"companysettings:{k.slug}")


@company_admin_required
@require_POST
def catalogue_restore(request: HttpRequest, company: Company, kind: str, pk: int) -> HttpResponse:
    k = _kind(kind)
    entry = get_object_or_404(k.model.objects.for_company(company), pk=pk)
    restore_catalogue_entry(entry=entry)
    messages.success(request, f"Restored the {k.singular} “{entry.name}”.")
    return redirect(f"companysettings:{k.slug}")
