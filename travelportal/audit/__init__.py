"""The audit trail of support staff: what was changed in Django admin and by management
commands, who changed it and when (django-auditlog, recorded only in those contexts)."""
