"""Company Settings > Audit trail: what support staff and management commands changed
in the company's own objects (travelportal.audit)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from travelportal.audit.models import AuditEntry
from travelportal.companies.models import Company
from travelportal.companysettings.access import company_admin_required

PAGE_SIZE = 50


@company_admin_required
@require_GET
def audit_trail(request: HttpRequest, company: Company) -> HttpResponse:
    entries = AuditEntry.objects.for_company(company).select_related("content_type", "actor")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "companysettings/audit.html", {"section": "audit", "page": page})
