"""The User adapter: the portal's person as a SCIM User (RFC 7643 §4.1) with the
enterprise extension (§4.3) and the TravelPerk extension, and back.

Built on django-scim2's ``SCIMUser``; what it gets wrong for this portal is replaced in
one place each (see each method's docstring). Writing goes through
``travelportal.companies.people`` so SCIM owns no business rule.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.urls import reverse
from django_scim.adapters import SCIMUser

from scim.documents import apply_patch, canonical
from scim.errors import InvalidValue, Uniqueness
from scim.mapping import CORE_USER, ENTERPRISE_USER, TRAVELPERK_USER, parse_person, read_person
from travelportal.companies import people
from travelportal.companies.models import User


def base_location(request=None, *args, **kwargs) -> str:
    """django-scim2's BASE_LOCATION_GETTER: ``PUBLIC_BASE_URL`` when set, else the
    request's own scheme and host, so ``meta.location`` and ``$ref`` are absolute."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL.rstrip("/") + "/"
    if request is None:
        return "http://localhost/"
    return request.build_absolute_uri("/")


class ScimUser(SCIMUser):
    """SCIM adapter for ``companies.User``; ``request.scim.company`` is the tenant."""

    id_field = "id"
    url_name = "scim:users"
    resource_type = "User"

    def __init__(self, obj: User, request=None) -> None:
        super().__init__(obj, request=request)
        self.data: people.PersonData | None = None

    # --- reading ------------------------------------------------------------------

    @property
    def location(self) -> str:
        return urljoin(base_location(self.request), reverse("scim:users", kwargs={"uuid": self.id}).lstrip("/"))

    @property
    def version(self) -> str:
        """A weak ETag (RFC 7644 §3.14) that changes with every write."""
        return f'W/"{int(self.obj.updated_at.timestamp() * 1_000_000):x}"'

    @property
    def meta(self) -> dict[str, str]:
        return {
            "resourceType": self.resource_type,
            "created": self.obj.created_at.isoformat(),
            "lastModified": self.obj.updated_at.isoformat(),
            "location": self.location,
            "version": self.version,
        }

    def to_dict(self) -> dict[str, Any]:
        """The resource as RFC 7643 §4 describes it, values exactly as stored.

        Empty attributes are left out (RFC 7643 §2.5: unassigned), so Entra sees the same
        shape it sent. The manager appears only as ``{value, $ref, displayName}`` under the
        enterprise URN, which is the only placement Entra reads back."""
        doc = self.document()
        manager = doc.get(ENTERPRISE_USER, {}).get("manager")
        if manager is not None:
            if self.obj.manager_id is not None:
                doc[ENTERPRISE_USER]["manager"] = {
                    "value": str(self.obj.manager_id),
                    "$ref": urljoin(
                        base_location(self.request),
                        reverse("scim:users", kwargs={"uuid": self.obj.manager_id}).lstrip("/"),
                    ),
                    "displayName": self.obj.manager.display_name or str(self.obj.manager),
                }
            else:
                # A pending reference (a userName or externalId of someone not provisioned
                # yet) is shown as the value alone: no $ref until that person exists. Entra
                # then sees a value that differs from the id it would send and sends it.
                doc[ENTERPRISE_USER]["manager"] = {"value": manager["value"]}
        resource = {
            "schemas": [CORE_USER, *(urn for urn in (ENTERPRISE_USER, TRAVELPERK_USER) if urn in doc)],
            "id": self.id,
            **doc,
        }
        groups = self.groups
        if groups:
            resource["groups"] = groups
        resource["meta"] = self.meta
        return resource

    @property
    def groups(self) -> list[dict[str, str]]:
        """RFC 7643 §4.1.2: the person's groups, read-only (changed through /Groups)."""
        if self.obj._state.adding:
            return []
        base = base_location(self.request)
        return [
            {
                "value": str(g.pk),
                "$ref": urljoin(base, reverse("scim:groups", kwargs={"uuid": g.pk}).lstrip("/")),
                "display": g.display_name,
            }
            for g in self.obj.scim_groups.all()
        ]

    def document(self) -> dict[str, Any]:
        """The person's writable attributes as a canonical document (the state a PATCH
        starts from), as the attribute map reads them."""
        return read_person(self.obj)

    # --- writing ------------------------------------------------------------------

    def validate_dict(self, d: dict[str, Any]) -> None:
        """Replaces django-scim2's check, which refuses Entra's string booleans: the body
        is canonicalised and every value type-checked here (400 ``invalidValue``)."""
        self.data = parse_person(canonical(d))

    def from_dict(self, d: dict[str, Any]) -> None:
        """Nothing is set on the model here; ``save`` hands the parsed values to the
        domain, which validates references and writes atomically."""
        if self.data is None:
            self.validate_dict(d)

    def save(self) -> None:
        """Create (POST) or replace (PUT, RFC 7644 §3.5.1) through the people domain."""
        with _domain_errors():
            if self.obj._state.adding:
                self.obj = people.create_person(company=self.request.scim.company, data=self.data)
            else:
                self.obj = people.replace_person(user=self.obj, data=self.data)

    def delete(self) -> None:
        """Soft delete (RFC 7644 §3.6): django-scim2's deletes the row; the portal keeps
        the person's trips and history readable."""
        people.delete_person(user=self.obj)

    def handle_operations(self, body: dict) -> None:
        """RFC 7644 §3.5.2 PATCH, both of Entra's dialects: the PatchOp ``body``'s
        operations apply to the person's current document, read under the row's lock, and
        only what changed is written, all or nothing. A concurrent write of another
        attribute is therefore kept, not overwritten with what this request read before."""
        with _domain_errors():
            self.obj = people.edit_person(user=self.obj, edit=lambda fresh: patch_changes(fresh, body))

    @classmethod
    def resource_type_dict(cls, request=None) -> dict[str, Any]:
        """RFC 7643 §6: ``endpoint`` is relative to the base URL (django-scim2 gives the
        absolute path) and the extensions are listed."""
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": CORE_USER,
            "schemaExtensions": [
                {"schema": ENTERPRISE_USER, "required": False},
                {"schema": TRAVELPERK_USER, "required": False},
            ],
            "meta": {
                "location": urljoin(
                    base_location(request), reverse("scim:resource-types", kwargs={"uuid": "User"}).lstrip("/")
                ),
                "resourceType": "ResourceType",
            },
        }


class _domain_errors:
    """Maps ``PersonError`` to SCIM errors (400 invalidValue, 409 uniqueness)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if isinstance(exc, people.PersonError):
            if exc.code == "conflict":
                raise Uniqueness(exc.detail) from exc
            raise InvalidValue(exc.detail) from exc
        return False


def patch_changes(user: User, body: dict) -> people.PersonData:
    """What applying the PatchOp ``body`` to ``user`` changes, as ``PersonData`` holding
    only the changed fields and references."""
    before = read_person(user)
    after = apply_patch(before, body)
    old, new = parse_person(before), parse_person(after)
    changed = {k: v for k, v in new.fields.items() if old.fields.get(k) != v}
    present = {r for r in people.REFERENCES if getattr(old, r) != getattr(new, r)}
    return people.PersonData(
        fields=changed,
        cost_centre=new.cost_centre,
        travel_policy=new.travel_policy,
        invoice_profiles=new.invoice_profiles,
        manager=new.manager,
        present=present,
    )
