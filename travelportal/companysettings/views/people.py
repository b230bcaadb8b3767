"""Company Settings > People: the searchable list, a person's page and the edit form."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from travelportal.companies.models import Company, User
from travelportal.companysettings.access import company_admin_required
from travelportal.companysettings.forms import PeopleSearchForm, PersonForm
from travelportal.companysettings.services import IDP_OWNED_FIELDS, update_person

PAGE_SIZE = 25


def _person(company: Company, pk) -> User:
    return get_object_or_404(
        User.objects.for_company(company).select_related("manager", "cost_centre", "travel_policy"), pk=pk
    )


def _approval_chain(person: User) -> tuple[list[list[User]] | None, str]:
    """Who approves this person's trips, step by step, or None with the reason it is unknown."""
    try:
        from approvals.chains import approval_steps_for
    except ImportError:
        return None, "Approval chains appear here once the approvals module is installed."
    try:
        return approval_steps_for(person), ""
    except ImportError:
        return None, "Approval chains appear here once the approvals module is installed."


@company_admin_required
@require_GET
def people_list(request: HttpRequest, company: Company) -> HttpResponse:
    form = PeopleSearchForm(request.GET or None)
    people = User.objects.for_company(company).select_related("manager", "cost_centre", "travel_policy")
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        if q:
            people = people.filter(
                Q(username__icontains=q)
                | Q(given_name__icontains=q)
                | Q(family_name__icontains=q)
                | Q(display_name__icontains=q)
                | Q(work_email__icontains=q)
                | Q(title__icontains=q)
            )
        if form.cleaned_data["status"]:
            people = people.filter(is_active=form.cleaned_data["status"] == "active")
    page = Paginator(people.order_by("family_name", "given_name", "username", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "companysettings/people_list.html", {"section": "people", "form": form, "page": page})


@company_admin_required
@require_GET
def person_detail(request: HttpRequest, company: Company, pk) -> HttpResponse:
    person = _person(company, pk)
    chain, chain_note = _approval_chain(person)
    context = {
        "section": "people",
        "person": person,
        "invoice_profiles": person.invoice_profiles.all(),
        "direct_reports": User.objects.for_company(company).filter(manager=person).order_by("family_name"),
        "chain": chain,
        "chain_note": chain_note,
        "idp_owned_fields": IDP_OWNED_FIELDS,
    }
    return render(request, "companysettings/person_detail.html", context)


@company_admin_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, company: Company, pk) -> HttpResponse:
    person = _person(company, pk)
    form = PersonForm(request.POST or None, person=person, editor=request.user)
    if request.method == "POST" and form.is_valid():
        changed = update_person(person=person, changes=form.changes())
        messages.success(request, f"Saved {person}." if changed else "Nothing changed.")
        return redirect("companysettings:person", pk=person.pk)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "companysettings/person_form.html",
        {"section": "people", "person": person, "form": form},
        status=status,
    )
