"""Company Settings > Provisioning activity: the SCIM request log and its chart."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from travelportal.companies.models import Company
from travelportal.companysettings.access import company_admin_required
from travelportal.companysettings.activity import SERIES, activity_buckets, filter_log_entries
from travelportal.companysettings.charts import activity_chart_svg, bucket_label
from travelportal.companysettings.forms import ActivityFilterForm

PAGE_SIZE = 50


@company_admin_required
@require_GET
def provisioning_activity(request: HttpRequest, company: Company) -> HttpResponse:
    form = ActivityFilterForm(request.GET)
    valid = form.is_valid()
    filters = (
        {k: form.cleaned_data.get(k) for k in ("operation", "outcome", "person", "since", "until")} if valid else {}
    )
    period = form.cleaned_data.get("period", 1) if valid else 1
    bucket = form.cleaned_data.get("bucket", "hour") if valid else "hour"
    entries = filter_log_entries(company=company, **{k: v for k, v in filters.items() if v})
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    buckets = activity_buckets(company=company, days=period, bucket=bucket)
    totals = [{"key": key, "label": label, "total": sum(b.counts[key] for b in buckets)} for key, label, _ in SERIES]
    table = [
        {"label": bucket_label(b, bucket, long=True), "counts": [b.counts[key] for key, _, _ in SERIES]}
        for b in buckets
        if b.total
    ]
    context = {
        "section": "activity",
        "form": form,
        "page": page,
        "chart": activity_chart_svg(buckets, bucket),
        "totals": totals,
        "table": table,
        "series": SERIES,
        "bucket": bucket,
        "status": 200 if valid else 400,
    }
    return render(request, "companysettings/activity.html", context, status=200 if valid else 400)
