"""Which models the audit trail covers, and how their changes reach it.

Each entry of ``AUDITED`` says, once, which model is audited, how an instance names its
company (stored on the entry, so a company's admins read only their company's entries,
even after the object is gone) and which fields are left out or hidden. Models are
registered with django-auditlog's registry, which its diff, admin and rendering read;
its receivers are then swapped for ones that log only inside an ``audited()`` context
(``travelportal.audit.context``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.apps import apps
from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_save

from travelportal.audit.context import current_source

HIDDEN = "(hidden)"


def hide(value: object) -> str:
    """What the audit trail keeps of a secret field's value: only that it changed."""
    return HIDDEN


def _own_company(instance: Model) -> int | None:
    return instance.company_id


@dataclass(frozen=True)
class Audited:
    model: str
    company: Callable[[Model], int | None] = _own_company
    exclude: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()


# Timestamps that change on every save would be noise; hashes of secrets are never shown.
AUDITED: tuple[Audited, ...] = (
    Audited("companies.Company", company=lambda company: company.pk),
    Audited("companies.User", exclude=("last_login", "updated_at"), hidden=("password",)),
    Audited("companies.Group", exclude=("updated_at",)),
    Audited("companies.CostCentre", exclude=("updated_at",)),
    Audited("companies.InvoiceProfile", exclude=("updated_at",)),
    Audited("companies.TravelPolicy", exclude=("updated_at",)),
    Audited("approvals.ApprovalProcess", exclude=("updated_at",)),
    Audited("approvals.ApprovalStep", company=lambda step: step.process.company_id),
    Audited("approvals.Trip"),
    Audited("tokens.Credential", exclude=("token_hash", "last_used_at")),
)

_RULES: dict[type[Model], Audited] = {}


def company_id_of(instance: Model) -> int | None:
    """The company an audited object belongs to; None for support staff's own rows."""
    rule = _RULES.get(type(instance))
    return rule.company(instance) if rule is not None else None


def _only_when_audited(receiver: Callable[..., None]) -> Callable[..., None]:
    @wraps(receiver)
    def gated(sender, **kwargs) -> None:
        if current_source() is not None:
            receiver(sender, **kwargs)

    return gated


def register_audited_models() -> None:
    """Register ``AUDITED`` with django-auditlog, logging only inside ``audited()``.

    Called once from ``AuditConfig.ready()``."""
    from auditlog.receivers import log_create, log_delete, log_update
    from auditlog.registry import auditlog

    receivers = {post_save: log_create, pre_save: log_update, post_delete: log_delete}
    for rule in AUDITED:
        model = apps.get_model(rule.model)
        if model in _RULES:
            continue
        _RULES[model] = rule
        auditlog.register(
            model,
            exclude_fields=list(rule.exclude),
            mask_fields=list(rule.hidden),
            mask_callable="travelportal.audit.registry.hide",
        )
        for signal, receiver in receivers.items():
            # auditlog connected its receiver for every save; ours logs only when audited.
            signal.disconnect(sender=model, dispatch_uid=auditlog._dispatch_uid(signal, receiver))
            signal.connect(
                _only_when_audited(receiver),
                sender=model,
                weak=False,
                dispatch_uid=("travelportal.audit", id(signal), rule.model),
            )
