"""Trips (traveller, approver) and Company Settings > Approval processes (company admins)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from approvals.forms import DecisionForm, ProcessFilterForm, ProcessForm, TripForm
from approvals.models import ApprovalProcess, ApprovalStep, Trip
from approvals.services.manual_processes import delete_process, save_process
from approvals.services.trips import DecisionError, NotAnApprover, approve_trip, create_trip, decline_trip
from travelportal.companies.models import User
from travelportal.companysettings.access import company_admin_required

PAGE_SIZE = 25


def company_member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in, active people of a company; support staff without one use Django admin."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.user.company_id is None or not request.user.is_active or request.user.is_deleted:
            raise PermissionDenied("Trips belong to people of a company.")
        return view(request, *args, **kwargs)

    return wrapper


def _apply_service_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- Trips --------------------------------------------------------------------------------------


@require_GET
@company_member_required
def trip_list(request: HttpRequest) -> HttpResponse:
    show_all = request.user.is_company_admin and request.GET.get("all") == "1"
    trips = Trip.objects.for_company(request.user.company).select_related("traveller", "process")
    if not show_all:
        trips = trips.filter(traveller=request.user)
    page = Paginator(trips.order_by("-created_at", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "approvals/trip_list.html", {"page": page, "show_all": show_all})


@require_http_methods(["GET", "POST"])
@company_member_required
def trip_new(request: HttpRequest) -> HttpResponse:
    form = TripForm(request.POST or None, requester=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        traveller = data.pop("traveller", None) or request.user
        try:
            trip = create_trip(traveller=traveller, requested_by=request.user, **data)
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            if trip.is_pending:
                messages.success(request, "Trip requested. It now waits for approval.")
            else:
                messages.success(request, "Trip requested and approved: no approval was needed.")
            return redirect("approvals:trip_detail", trip.pk)
    status = 400 if form.errors else 200
    return render(request, "approvals/trip_form.html", {"form": form}, status=status)


def _trip_page(request: HttpRequest, trip: Trip, form: DecisionForm | None = None, status: int = 200) -> HttpResponse:
    events = trip.events.select_related("actor")
    approvers = list(trip.current_approvers.all())
    steps = list(trip.process.steps.all()) if trip.process_id else []
    can_decide = trip.can_be_decided_by(request.user)
    if form is None and can_decide:
        form = DecisionForm(initial={"step": trip.current_step})
    context = {
        "trip": trip,
        "events": events,
        "approvers": approvers,
        # A trip past the end of a chain that got shorter waits on the admins for its step.
        "step_count": max(len(steps), trip.current_step) if steps else 0,
        "can_decide": can_decide,
        "form": form,
    }
    return render(request, "approvals/trip_detail.html", context, status=status)


@require_GET
@company_member_required
def trip_detail(request: HttpRequest, trip_id) -> HttpResponse:
    trip = get_object_or_404(
        Trip.objects.visible_to(request.user).select_related("traveller", "requested_by", "process"), pk=trip_id
    )
    return _trip_page(request, trip)


def _decide(request: HttpRequest, trip_id, decision: Callable[..., Trip], done: str) -> HttpResponse:
    trip = get_object_or_404(Trip.objects.visible_to(request.user).select_related("traveller", "process"), pk=trip_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _trip_page(request, trip, form, status=400)
    try:
        decision(trip=trip, approver=request.user, comment=form.cleaned_data["comment"], step=form.cleaned_data["step"])
    except NotAnApprover as exc:
        raise PermissionDenied(str(exc)) from None
    except DecisionError as exc:
        messages.error(request, str(exc))
        return redirect("approvals:trip_detail", trip.pk)
    except ValidationError as exc:
        _apply_service_errors(form, exc)
        return _trip_page(request, trip, form, status=400)
    messages.success(request, done)
    if request.POST.get("next") == "queue":
        return redirect("approvals:queue")
    return redirect("approvals:trip_detail", trip.pk)


@require_POST
@company_member_required
def trip_approve(request: HttpRequest, trip_id) -> HttpResponse:
    return _decide(request, trip_id, approve_trip, "Approved.")


@require_POST
@company_member_required
def trip_decline(request: HttpRequest, trip_id) -> HttpResponse:
    return _decide(request, trip_id, decline_trip, "Declined. The traveller has been told.")


@require_GET
@company_member_required
def approval_queue(request: HttpRequest) -> HttpResponse:
    pending = Trip.objects.for_company(request.user.company).pending().select_related("traveller", "process")
    mine = pending.filter(current_approvers=request.user).order_by("start_date", "pk")
    page = Paginator(mine, PAGE_SIZE).get_page(request.GET.get("page"))
    others = None
    if request.user.is_company_admin:
        others = (
            pending.exclude(pk__in=mine.values("pk"))
            .exclude(traveller=request.user)
            .prefetch_related("current_approvers")
            .order_by("start_date", "pk")[:PAGE_SIZE]
        )
    return render(request, "approvals/queue.html", {"page": page, "others": others})


# --- Company Settings > Approval processes -------------------------------------------------------


def _settings_context(**extra) -> dict:
    return {"section": "approval-processes", **extra}


@require_GET
@company_admin_required
def process_list(request: HttpRequest, company) -> HttpResponse:
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
        processes.annotate(requester_count=Count("requesters", distinct=True))
        .prefetch_related(Prefetch("steps", queryset=ApprovalStep.objects.prefetch_related("approvers")))
        .order_by("kind", "name", "pk")
    )
    page = Paginator(processes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "approvals/process_list.html", _settings_context(page=page, filters=filters))


@require_GET
@company_admin_required
def process_detail(request: HttpRequest, company, pk: int) -> HttpResponse:
    process = get_object_or_404(
        ApprovalProcess.objects.for_company(company).select_related("owner").prefetch_related("steps__approvers"),
        pk=pk,
    )
    requesters = Paginator(process.requesters.order_by("family_name", "given_name", "username"), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "approvals/process_detail.html", _settings_context(process=process, page=requesters))


@require_http_methods(["GET", "POST"])
@company_admin_required
def process_edit(request: HttpRequest, company, pk: int | None = None) -> HttpResponse:
    process = None
    if pk is not None:
        process = get_object_or_404(ApprovalProcess.objects.for_company(company), pk=pk)
        if process.is_automatic:
            raise PermissionDenied("Automatic processes are read-only.")
    initial = ProcessForm.initial_for(process) if process else None
    form = ProcessForm(request.POST or None, company=company, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            process = save_process(
                company=company,
                process=process,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                requesters=form.cleaned_data["requesters"],
                steps=form.steps,
            )
        except ValidationError as exc:
            _apply_service_errors(form, exc)
        else:
            messages.success(request, f"Saved “{process.name}”.")
            return redirect("approvals:process_detail", process.pk)
    status = 400 if form.errors else 200
    return render(request, "approvals/process_form.html", _settings_context(form=form, process=process), status=status)


@require_POST
@company_admin_required
def process_delete(request: HttpRequest, company, pk: int) -> HttpResponse:
    process = get_object_or_404(ApprovalProcess.objects.for_company(company), pk=pk)
    if process.is_automatic:
        raise PermissionDenied("Automatic processes are read-only.")
    delete_process(process=process)
    messages.success(request, f"Deleted “{process.name}”.")
    return redirect("approvals:process_list")
