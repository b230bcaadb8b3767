"""Company Settings > Developers > Webhooks: the company's subscriptions and each one's
delivery log; subscriptions are made through the API (``/api/webhooks``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from travelportal.companies.models import Company
from travelportal.companysettings.access import company_admin_required
from travelportal.webhooks.events import EVENTS
from travelportal.webhooks.models import Delivery, Subscription
from travelportal.webhooks.subscriptions import update_subscription

PAGE_SIZE = 25


@company_admin_required
@require_GET
def webhook_list(request: HttpRequest, company: Company) -> HttpResponse:
    subscriptions = Subscription.objects.for_company(company).order_by("name", "id")
    context = {"section": "developers", "subscriptions": subscriptions, "events": EVENTS.values()}
    return render(request, "companysettings/webhooks.html", context)


@company_admin_required
@require_GET
def webhook_detail(request: HttpRequest, company: Company, pk) -> HttpResponse:
    subscription = get_object_or_404(Subscription.objects.for_company(company), pk=pk)
    page = Paginator(Delivery.objects.log_of(subscription), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"section": "developers", "subscription": subscription, "page": page}
    return render(request, "companysettings/webhook_detail.html", context)


@company_admin_required
@require_POST
def webhook_enable(request: HttpRequest, company: Company, pk) -> HttpResponse:
    subscription = get_object_or_404(Subscription.objects.for_company(company), pk=pk)
    if update_subscription(subscription=subscription, enabled=True):
        messages.success(request, f"The webhook “{subscription.name}” is on again; new events are sent to it.")
    return redirect("companysettings:webhook", pk=subscription.pk)


@company_admin_required
@require_POST
def webhook_disable(request: HttpRequest, company: Company, pk) -> HttpResponse:
    subscription = get_object_or_404(Subscription.objects.for_company(company), pk=pk)
    if update_subscription(subscription=subscription, enabled=False):
        messages.success(request, f"The webhook “{subscription.name}” is off; no events are sent to it.")
    return redirect("companysettings:webhook", pk=subscription.pk)
