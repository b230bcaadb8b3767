"""Company Settings > Provisioning activity: the SCIM request log and its chart."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from travelportal.companies.models import Company
from travelportal.companysettings.access import company_admin_required
from travelportal.companysettings.charts import activity_chart
from travelportal.companysettings.forms import ActivityFilterForm
from travelportal.provisioning.activity import filter_log_entries

PAGE_SIZE = 50
FILTERS = ("operation", "outcome", "person", "since", "until")


@company_admin_required
@require_GET
def provisioning_activity(request: HttpRequest, company: Company) -> HttpResponse:
    form = ActivityFilterForm(request.GET)
    valid = form.is_valid()
    # An invalid filter shows the whole log and the default chart, with the errors.
    data = form.cleaned_data if valid else {}
    filters = {key: data[key] for key in FILTERS if data.get(key)}
    page = Paginator(filter_log_entries(company=company, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    chart = activity_chart(company=company, days=data.get("period", 1), resolution=data.get("bucket", "hour"))
    context = {"section": "activity", "form": form, "page": page, **chart}
    return render(request, "companysettings/activity.html", context, status=200 if valid else 400)
