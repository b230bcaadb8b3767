from __future__ import annotations

from django import template

from travelportal.audit.models import AuditEntry

register = template.Library()

HISTORY_LIMIT = 100


@register.simple_tag
def audit_entries_for(obj) -> list[AuditEntry]:
    """The newest audit entries of one object, for its admin history page."""
    if obj is None or obj.pk is None:
        return []
    return list(AuditEntry.objects.get_for_object(obj).select_related("actor").order_by("-timestamp")[:HISTORY_LIMIT])
