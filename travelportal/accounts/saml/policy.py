"""Who may sign in how: Require SSO with its break-glass admins, and which company's SSO
an email belongs to. No pysaml2 here, so the password sign-in form can ask cheaply."""

from __future__ import annotations

from django.db.models.functions import Lower

from travelportal.accounts.models import SsoConfiguration, SsoEmailDomain
from travelportal.companies.models import Company, User


def password_sign_in_refused(user: User) -> bool:
    """Whether ``user``'s company requires SSO and they are not one of its break-glass
    admins (who keep password sign-in, should the identity provider be unreachable)."""
    if user.company_id is None:
        return False
    configuration = SsoConfiguration.objects.filter(company_id=user.company_id, require_sso=True).first()
    if configuration is None:
        return False
    return not (user.is_company_admin and configuration.break_glass_admins.filter(pk=user.pk).exists())


def company_for_email(email: str) -> Company | None:
    """The company whose SSO claims the domain of ``email``, if any."""
    domain = email.strip().rsplit("@", 1)[-1].lower() if "@" in email else ""
    if not domain:
        return None
    match = (
        SsoEmailDomain.objects.annotate(domain_lower=Lower("domain"))
        .filter(domain_lower=domain)
        .select_related("configuration__company")
        .first()
    )
    return match.configuration.company if match is not None else None
