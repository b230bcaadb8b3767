"""Company Settings > Approval processes: the list, a process's page, and editing and
deleting manual and default processes (automatic ones are read-only here). The rules are
``approvals.services.manual_processes``; these views bind the forms and call it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from approvals.models import ApprovalProcess, ApprovalStep
from approvals.services.manual_processes import delete_process, save_process
from travelportal.companies.models import Company, User
from travelportal.companysettings.access import company_admin_required
from travelportal.companysettings.forms import ProcessFilterForm, ProcessForm
from travelportal.forms import add_service_errors

PAGE_SIZE = 25
REQUESTERS_PAGE_SIZE = 50


def _context(**extra) -> dict:
    return {"section": "approval-processes", **extra}


@require_GET
@company_admin_required
def process_list(request: HttpRequest, company: Company) -> HttpResponse:
    filters = ProcessFilterForm(request.GET or None)
    processes = ApprovalProcess.objects.for_company(company)
    if filters.is_valid():
        if filters.cleaned_data["kind"]:
            processes = processes.filter(kind=filters.cleaned_data["kind"])
        if q := filters.cleaned_data["q"].strip():
            people = User.objects.for_company(company).filter(
                Q(username__icontains=q) | Q(given_name__icontains=q) | Q(family_name__icontains=q)
                | Q(display_name__icontains=q)
            )  # fmt: skip
            processes = processes.involving(people)
    processes = (
        processes.with_requester_count()
        .prefetch_related(Prefetch("steps", queryset=ApprovalStep.objects.prefetch_related("approvers")))
        .order_by("kind", "name", "pk")
    )
    page = Paginator(processes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "companysettings/approval_process_list.html", _context(page=page, filters=filters))


@require_GET
@company_admin_required
def process_detail(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    process = get_object_or_404(
        ApprovalProcess.objects.for_company(company).select_related("owner").prefetch_related("steps__approvers"),
        pk=pk,
    )
    requesters = process.requesters.order_by("family_name", "given_name", "username")
    page = Paginator(requesters, REQUESTERS_PAGE_SIZE).get_page(request.GET.get("page"))
    groups = process.requester_groups.annotate(member_count=Count("memberships")).order_by("display_name", "pk")
    return render(
        request, "companysettings/approval_process_detail.html", _context(process=process, page=page, groups=groups)
    )


@require_http_methods(["GET", "POST"])
@company_admin_required
def process_edit(request: HttpRequest, company: Company, pk: int | None = None) -> HttpResponse:
    process = None
    if pk is not None:
        process = get_object_or_404(ApprovalProcess.objects.for_company(company), pk=pk)
        if process.is_automatic:
            raise PermissionDenied("Automatic processes are read-only.")
    initial = ProcessForm.initial_for(process) if process else None
    form = ProcessForm(request.POST or None, company=company, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            process = save_process(
                company=company, process=process, name=data["name"], kind=data["kind"],
                requesters=data["requesters"], requester_groups=data["requester_groups"], steps=form.steps,
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved “{process.name}”.")
            return redirect("companysettings:approval-process", process.pk)
    status = 400 if form.errors else 200
    return render(
        request, "companysettings/approval_process_form.html", _context(form=form, process=process), status=status
    )


@require_POST
@company_admin_required
def process_delete(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    process = get_object_or_404(ApprovalProcess.objects.for_company(company), pk=pk)
    if process.is_automatic:
        raise PermissionDenied("Automatic processes are read-only.")
    delete_process(process=process)
    messages.success(request, f"Deleted “{process.name}”.")
    return redirect("companysettings:approval-processes")
