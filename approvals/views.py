"""Trips: a person's trips, requesting one, a trip's page, deciding it, and the approval queue.

Company Settings > Approval processes is in ``travelportal/companysettings/views/approvals.py``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from approvals.forms import DecisionForm, TripForm
from approvals.models import Trip
from approvals.services.trips import DecisionError, NotAnApprover, approve_trip, create_trip, decline_trip
from travelportal.forms import add_service_errors

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
            add_service_errors(form, exc)
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
        add_service_errors(form, exc)
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
