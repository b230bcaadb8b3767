"""Company Settings > Groups: the searchable list, a group's page (members, approval
processes, travel policy) and the form for what the portal owns of a group. The name,
externalId and members of a SCIM-managed group come from the identity provider and are
read-only here."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from travelportal.companies.groups import search_groups, set_group_policy
from travelportal.companies.models import Company, Group
from travelportal.companysettings.access import company_admin_required
from travelportal.companysettings.forms import GroupPolicyForm, GroupSearchForm
from travelportal.forms import add_service_errors

PAGE_SIZE = 25
MEMBERS_PAGE_SIZE = 50


def _group(company: Company, pk) -> Group:
    return get_object_or_404(Group.objects.for_company(company).select_related("travel_policy"), pk=pk)


@company_admin_required
@require_GET
def group_list(request: HttpRequest, company: Company) -> HttpResponse:
    form = GroupSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(search_groups(company=company, query=query), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "companysettings/group_list.html", {"section": "groups", "form": form, "page": page})


@company_admin_required
@require_GET
def group_detail(request: HttpRequest, company: Company, pk) -> HttpResponse:
    group = _group(company, pk)
    members = group.members.order_by("family_name", "given_name", "username", "id")
    context = {
        "section": "groups",
        "group": group,
        "page": Paginator(members, MEMBERS_PAGE_SIZE).get_page(request.GET.get("page")),
        "processes": group.approval_processes.order_by("name", "pk"),
    }
    return render(request, "companysettings/group_detail.html", context)


@company_admin_required
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, company: Company, pk) -> HttpResponse:
    group = _group(company, pk)
    form = GroupPolicyForm(request.POST or None, group=group)
    if request.method == "POST" and form.is_valid():
        policy, rank = form.cleaned_data["travel_policy"], form.cleaned_data["policy_rank"]
        try:
            changed = set_group_policy(group=group, travel_policy=policy, policy_rank=rank)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved {group}." if changed else "Nothing changed.")
            return redirect("companysettings:group", pk=group.pk)
    status = 400 if form.is_bound else 200
    context = {"section": "groups", "group": group, "form": form}
    return render(request, "companysettings/group_form.html", context, status=status)
