"""Setting up companies and their admins, and switching a company's SCIM API on or off:
what Company Settings, the management commands, the demo seed (``travelportal.demo``)
and support staff's tools call.

Each function is idempotent, because automation runs them again and again: calling one
with the arguments it was last called with changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import transaction

from travelportal.companies.models import Company, User
from travelportal.companies.signals import report_person_changes


@dataclass(frozen=True)
class CompanyResult:
    company: Company
    created: bool
    changed_fields: tuple[str, ...]


@dataclass(frozen=True)
class CompanyAdminResult:
    user: User
    created: bool
    changed_fields: tuple[str, ...]


@transaction.atomic
def create_company(*, slug: str, name: str, enable_scim: bool = False) -> CompanyResult:
    """Create the company ``slug`` named ``name``, or bring an existing one to that name.

    A new company's SCIM API is off unless ``enable_scim``; ``enable_scim`` switches it on
    for an existing company too, while leaving it out never switches it off (that is the
    company admin's decision, made in Company Settings). Raises ValidationError for a bad
    slug or an empty name.
    """
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        validate_slug(slug)
    except ValidationError as exc:
        errors["slug"] = exc.messages
    max_name = Company._meta.get_field("name").max_length
    if not name:
        errors["name"] = ["A company needs a name."]
    elif len(name) > max_name:
        errors["name"] = [f"A company name has at most {max_name} characters."]
    if errors:
        raise ValidationError(errors)

    company = Company.objects.select_for_update().filter(slug=slug).first()
    if company is None:
        company = Company(slug=slug, name=name, scim_enabled=enable_scim)
        company.full_clean()
        company.save()
        return CompanyResult(company=company, created=True, changed_fields=())

    changed = []
    if company.name != name:
        company.name = name
        changed.append("name")
    if enable_scim and not company.scim_enabled:
        company.scim_enabled = True
        changed.append("scim_enabled")
    if changed:
        company.save(update_fields=changed)
    return CompanyResult(company=company, created=False, changed_fields=tuple(changed))


@transaction.atomic
def create_company_admin(*, company: Company, email: str, password: str) -> CompanyAdminResult:
    """Make ``email`` an admin of ``company`` who can sign in with ``password``.

    The email is the userName (the sign-in name). A person of the company with that
    userName becomes an active admin with that password; a userName taken in another
    company is refused without saying which company has it. The password must pass the
    portal's password validators. Raises ValidationError.
    """
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [f"{email!r} is not a valid email address."]}) from None

    user = User.objects.with_username(email).select_for_update().first()
    if user is not None and user.company_id != company.pk:
        raise ValidationError({"email": ["This userName is already taken."]})
    try:
        validate_password(password, user or User(username=email, work_email=email, company=company))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None

    if user is None:
        user = User.objects.create_user(
            email, password, company=company, role=User.Role.ADMIN, work_email=email, is_active=True
        )
        report_person_changes(company_id=company.pk, changes={user.pk: None})
        return CompanyAdminResult(user=user, created=True, changed_fields=())

    changed = []
    if user.role != User.Role.ADMIN:
        user.role = User.Role.ADMIN
        changed.append("role")
    if not user.is_active:
        user.is_active = True
        changed.append("is_active")
    if not user.check_password(password):
        user.set_password(password)
        changed.append("password")
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
    report_person_changes(company_id=company.pk, changes={user.pk: changed})
    return CompanyAdminResult(user=user, created=False, changed_fields=tuple(changed))


def set_scim_enabled(*, company: Company, enabled: bool) -> bool:
    """Turn the company's SCIM API on or off; returns whether anything changed.

    Turning it off keeps tokens and people as they are: the SCIM endpoints refuse
    requests until it is turned on again."""
    updated = Company.objects.filter(pk=company.pk).exclude(scim_enabled=enabled).update(scim_enabled=enabled)
    company.scim_enabled = enabled
    return bool(updated)
