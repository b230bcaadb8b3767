"""When changes are audited: inside Django admin requests and management commands only.

django-auditlog's own middleware and ``set_actor`` attach an actor to whatever is saved
during a request, and its receivers log every save of a registered model wherever it
happens. Here nothing is logged unless an ``audited()`` context is open: SCIM, the REST
API, Company Settings and Celery tasks stay without the extra read and write per save
(SCIM writes are counted query by query in tests/scim). The one exception is by design:
``seed_demo`` provisions the demo company through the SCIM stack inside its command's
context, so those writes are recorded as the command's.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from travelportal.client_addresses import client_address


@dataclass(frozen=True)
class AuditSource:
    """Who is changing data, and through what."""

    kind: str  # AuditEntry.Source: "admin" or "command"
    actor: Any = None  # the signed-in support user in admin; None for a command
    name: str = ""  # the command's name
    remote_addr: str | None = None
    os_user: str = ""


_current: ContextVar[AuditSource | None] = ContextVar("travelportal_audit_source", default=None)


def current_source() -> AuditSource | None:
    return _current.get()


@contextmanager
def audited(source: AuditSource) -> Iterator[AuditSource]:
    """Record the changes made inside as done by ``source``."""
    token = _current.set(source)
    try:
        yield source
    finally:
        _current.reset(token)


def admin_source(request) -> AuditSource:
    user = request.user if request.user.is_authenticated else None
    return AuditSource(kind="admin", actor=user, remote_addr=client_address(request))


def command_source(name: str) -> AuditSource:
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):
        # No login name (a container without a passwd entry for the uid).
        os_user = ""
    return AuditSource(kind="command", name=name, os_user=os_user)
