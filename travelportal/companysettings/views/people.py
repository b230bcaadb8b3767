"""Company Settings > People: the searchable list, a person's page and the edit form."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from approvals.services.routing import approval_steps_for
from travelportal.companies.models import Company, User
from travelportal.companies.people import IDP_OWNED_FIELDS, search_people, set_person_fields
from travelportal.companysettings.access import company_admin_required
from travelportal.companysettings.forms import PeopleSearchForm, PersonForm

PAGE_SIZE = 25


def _person(company: Company, pk) -> User:
    return get_object_or_404(
        User.objects.for_company(company).select_related("manager", "cost_centre", "travel_policy"), pk=pk
    )


@company_admin_required
@require_GET
def people_list(request: HttpRequest, company: Company) -> HttpResponse:
    form = PeopleSearchForm(request.GET or None)
    search = form.cleaned_data if form.is_valid() else {}
    people = search_people(company=company, query=search.get("q", ""), status=search.get("status", ""))
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "companysettings/people_list.html", {"section": "people", "form": form, "page": page})


@company_admin_required
@require_GET
def person_detail(request: HttpRequest, company: Company, pk) -> HttpResponse:
    person = _person(company, pk)
    context = {
        "section": "people",
        "person": person,
        "invoice_profiles": person.invoice_profiles.all(),
        "direct_reports": User.objects.for_company(company).filter(manager=person).order_by("family_name"),
        "chain": approval_steps_for(person),
        "effective_policy": person.effective_travel_policy(),
        "groups": person.scim_groups.select_related("travel_policy").order_by("display_name", "id"),
        "idp_owned_fields": IDP_OWNED_FIELDS,
    }
    return render(request, "companysettings/person_detail.html", context)


@company_admin_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, company: Company, pk) -> HttpResponse:
    person = _person(company, pk)
    form = PersonForm(request.POST or None, person=person, editor=request.user)
    if request.method == "POST" and form.is_valid():
        changed = set_person_fields(person=person, changes=form.changes())
        messages.success(request, f"Saved {person}." if changed else "Nothing changed.")
        return redirect("companysettings:person", pk=person.pk)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "companysettings/person_form.html",
        {"section": "people", "person": person, "form": form},
        status=status,
    )
