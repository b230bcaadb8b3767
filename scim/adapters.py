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

from scim.documents import apply_patch, canonical, work_element
from scim.errors import InvalidValue, Uniqueness
from scim.schemas import CORE_USER, ENTERPRISE_USER, TRAVELPERK_USER
from travelportal.companies import people
from travelportal.companies.models import User

REFERENCES = ("cost_centre", "travel_policy", "invoice_profiles", "manager")


def base_location(request=None, *args, **kwargs) -> str:
    """django-scim2's BASE_LOCATION_GETTER: ``PUBLIC_BASE_URL`` when set, else the
    request's own scheme and host, so ``meta.location`` and ``$ref`` are absolute."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL.rstrip("/") + "/"
    if request is None:
        return "http://localhost/"
    return request.build_absolute_uri("/")


def parse_boolean(value: Any, attribute: str) -> bool:
    """JSON booleans, and the strings Entra sends (``"True"``, ``"false"``...)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidValue(f"{attribute} must be true or false, not {value!r}.")


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
        for name in ("emails", "phoneNumbers"):
            # One work value is stored, so it is the primary one (RFC 7643 §2.4).
            for element in doc.get(name, []):
                element["primary"] = True
        resource = {
            "schemas": [CORE_USER, *(urn for urn in (ENTERPRISE_USER, TRAVELPERK_USER) if urn in doc)],
            "id": self.id,
            **doc,
            "meta": self.meta,
        }
        return resource

    def document(self) -> dict[str, Any]:
        """The person's writable attributes as a canonical document (the state a PATCH
        starts from)."""
        u = self.obj
        doc: dict[str, Any] = {
            "userName": u.username,
            "externalId": u.external_id,
            "active": u.is_active,
            "displayName": u.display_name,
            "title": u.title,
            "preferredLanguage": u.preferred_language,
            "locale": u.locale,
        }
        name = {
            "givenName": u.given_name,
            "familyName": u.family_name,
            "middleName": u.middle_name,
            "honorificPrefix": u.honorific_prefix,
        }
        doc["name"] = {k: v for k, v in name.items() if v}
        if u.work_email:
            doc["emails"] = [{"value": u.work_email, "type": "work"}]
        if u.work_phone:
            doc["phoneNumbers"] = [{"value": u.work_phone, "type": "work"}]
        enterprise: dict[str, Any] = {}
        if u.cost_centre_id:
            enterprise["costCenter"] = u.cost_centre.name
        if u.manager_id:
            enterprise["manager"] = {"value": str(u.manager_id)}
        elif u.pending_manager_ref:
            enterprise["manager"] = {"value": u.pending_manager_ref}
        travel: dict[str, Any] = {
            "gender": u.gender,
            "dateOfBirth": u.date_of_birth.isoformat() if u.date_of_birth else "",
            "travelPolicy": u.travel_policy.name if u.travel_policy_id else "",
        }
        profiles = sorted(p.name for p in u.invoice_profiles.all()) if not u._state.adding else []
        if profiles:
            travel["invoiceProfiles"] = [{"value": n} for n in profiles]
        contact = {"name": u.emergency_contact_name, "phone": u.emergency_contact_phone}
        if any(contact.values()):
            travel["emergencyContact"] = {k: v for k, v in contact.items() if v}
        doc[ENTERPRISE_USER] = enterprise
        doc[TRAVELPERK_USER] = {k: v for k, v in travel.items() if v}
        return {k: v for k, v in doc.items() if v not in ("", None, {}, [])}

    # --- writing ------------------------------------------------------------------

    def validate_dict(self, d: dict[str, Any]) -> None:
        """Replaces django-scim2's check, which refuses Entra's string booleans: the body
        is canonicalised and every value type-checked here (400 ``invalidValue``)."""
        self.data = person_data(canonical(d))

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
        operations apply to the current document, then only what changed is written, all
        or nothing. The whole body, not its list: ``apply_patch`` finds ``Operations`` in
        any case, so the key is looked up in one place."""
        before = self.document()
        after = apply_patch(before, body)
        old, new = person_data(before), person_data(after)
        changed = {k: v for k, v in new.fields.items() if old.fields.get(k) != v}
        for key in old.fields.keys() - new.fields.keys():
            changed[key] = None
        present = {r for r in REFERENCES if getattr(old, r) != getattr(new, r)}
        new.fields, new.present = changed, present
        with _domain_errors():
            self.obj = people.update_person(user=self.obj, data=new)

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


def _text(value: Any, attribute: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidValue(f"{attribute} must be a string.")
    return value


def _element_value(doc: dict, name: str) -> str:
    if name not in doc:
        return ""
    elements = doc[name]
    if not isinstance(elements, list) or not all(isinstance(e, dict) for e in elements):
        raise InvalidValue(f"{name} must be a list of objects.")
    # Only the work value is stored: the element typed work, else the primary, else the first.
    element = work_element(doc, name, create=False)
    primary = [e for e in elements if e.get("primary") in (True, "true", "True")]
    if str(element.get("type", "")).lower() != "work" and primary:
        element = primary[0]
    return _text(element.get("value"), f"{name}.value")


def person_data(doc: dict[str, Any]) -> people.PersonData:
    """A canonical document as the people domain's ``PersonData`` (all attributes)."""
    name = doc.get("name") or {}
    enterprise = doc.get(ENTERPRISE_USER) or {}
    travel = doc.get(TRAVELPERK_USER) or {}
    for label, obj in (("name", name), (ENTERPRISE_USER, enterprise), (TRAVELPERK_USER, travel)):
        if not isinstance(obj, dict):
            raise InvalidValue(f"{label} must be an object.")
    contact = travel.get("emergencyContact") or {}
    if not isinstance(contact, dict):
        raise InvalidValue("emergencyContact must be an object.")
    fields: dict[str, object] = {
        "username": _text(doc.get("userName"), "userName"),
        "external_id": _text(doc.get("externalId"), "externalId"),
        "display_name": _text(doc.get("displayName"), "displayName"),
        "title": _text(doc.get("title"), "title"),
        "preferred_language": _text(doc.get("preferredLanguage"), "preferredLanguage"),
        "locale": _text(doc.get("locale"), "locale"),
        "given_name": _text(name.get("givenName"), "name.givenName"),
        "family_name": _text(name.get("familyName"), "name.familyName"),
        "middle_name": _text(name.get("middleName"), "name.middleName"),
        "honorific_prefix": _text(name.get("honorificPrefix"), "name.honorificPrefix"),
        "work_email": _element_value(doc, "emails"),
        "work_phone": _element_value(doc, "phoneNumbers"),
        "is_active": parse_boolean(doc["active"], "active") if doc.get("active") not in (None, "") else True,
        "gender": _text(travel.get("gender"), "gender"),
        "date_of_birth": _text(travel.get("dateOfBirth"), "dateOfBirth"),
        "emergency_contact_name": _text(contact.get("name"), "emergencyContact.name"),
        "emergency_contact_phone": _text(contact.get("phone"), "emergencyContact.phone"),
    }
    manager = enterprise.get("manager")
    if isinstance(manager, dict):
        # The value is the manager's id; a manager given only by $ref is the last segment.
        ref = manager.get("$ref")
        manager = manager.get("value") or (ref.rstrip("/").rsplit("/", 1)[-1] if isinstance(ref, str) else None)
    profiles = travel.get("invoiceProfiles") or []
    if not isinstance(profiles, list):
        raise InvalidValue("invoiceProfiles must be a list.")
    profile_names = [_text(p.get("value") if isinstance(p, dict) else p, "invoiceProfiles") for p in profiles]
    try:
        fields["gender"] = people.parse_gender(fields["gender"])
        people.parse_date_of_birth(fields["date_of_birth"])
    except people.PersonError as exc:
        raise InvalidValue(exc.detail) from exc
    return people.PersonData(
        fields=fields,
        cost_centre=_text(enterprise.get("costCenter"), "costCenter"),
        travel_policy=_text(travel.get("travelPolicy"), "travelPolicy"),
        invoice_profiles=[n for n in profile_names if n],
        manager=_text(manager, "manager"),
    )
