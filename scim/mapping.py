"""The one table of the SCIM User attributes the portal offers, and everything derived
from it.

Each ``Attribute`` says, once, what RFC 7643 §7 publishes about it (type, multiValued,
mutability, returned, caseExact, uniqueness, canonical values), where the portal keeps
it (a ``User`` field, or a ``Resolver`` that turns a name or reference into a related
row), how it may be filtered (RFC 7644 §3.4.2.2) and whether the identity provider owns
it. From this table come:

- the schema documents at ``/Schemas`` (``schema_documents``);
- the attribute-name catalogue that canonicalises request bodies and PATCH paths
  (``CATALOGUE``, ``READ_ONLY``, ``NOT_REMOVABLE``, ``MULTI_VALUED_COMPLEX``);
- the resource document of a person (``read_person``);
- the parsing of a canonical document into the people domain's ``PersonData``, with
  type and length checks (``parse_person``; lengths read from the model fields);
- the filter lookups (``FILTERS``, and ``GROUP_FILTERS`` of the Group table below);
- what the identity provider writes of a person, which must be the people domain's
  ``IDP_OWNED_FIELDS`` (the fields nobody else changes on a SCIM-managed person;
  ``tests/scim/test_attribute_map.py`` checks that the two agree).

Adding an attribute is adding one entry below (and the model field that stores it).
Values are stored and returned exactly as received: Entra compares what it would send
with what it reads back and re-sends anything reshaped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from scim.errors import InvalidValue
from travelportal.companies import people

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TRAVELPERK_USER = "urn:ietf:params:scim:schemas:extension:travelperk:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
EXTENSION_URNS = (ENTERPRISE_USER, TRAVELPERK_USER)
USER_URNS = (CORE_USER, *EXTENSION_URNS)

STRING_OPS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"})
EQUALITY_OPS = frozenset({"eq", "ne", "pr"})
ORDER_OPS = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "pr"})
# A group's members are compared by id: a member equal to one, or any member at all.
MEMBER_OPS = frozenset({"eq", "pr"})
# Not a column of the group: the filter asks whether a membership row exists.
MEMBER_LOOKUP = "memberships__user_id"

# Suggestions only (RFC 7643 §2.3.1: canonicalValues MAY be used); any tag up to the
# field's length is stored.
LANGUAGE_TAGS = ("en-US", "en-GB", "es-ES", "fr-FR", "de-DE", "it-IT", "pt-PT", "nl-NL", "ca-ES")


@dataclass(frozen=True)
class Resolver:
    """An attribute stored as a reference to another row, resolved by the people domain.

    ``key`` names the ``PersonData`` reference it fills; ``model_field`` the ``User``
    field it ends up in (what Company Settings locks); ``read`` gives the SCIM value of a
    person; ``rule`` says how the domain resolves it (published as the description)."""

    key: str
    model_field: str
    read: Callable[[Any], Any]
    rule: str


def _catalogue_name(relation: str) -> Callable[[Any], str]:
    def read(user) -> str:
        related = getattr(user, relation) if getattr(user, f"{relation}_id") else None
        return related.name if related is not None else ""

    return read


def _invoice_profile_names(user) -> list[dict[str, str]]:
    if user._state.adding:
        # A person being created has no links yet; reading them would need a saved row.
        return []
    return [{"value": name} for name in sorted(p.name for p in user.invoice_profiles.all())]


def _manager_reference(user) -> dict[str, str] | None:
    if user.manager_id:
        return {"value": str(user.manager_id)}
    if user.pending_manager_ref:
        return {"value": user.pending_manager_ref}
    return None


COST_CENTRE = Resolver("cost_centre", "cost_centre", _catalogue_name("cost_centre"), "by name, created when missing")
TRAVEL_POLICY = Resolver("travel_policy", "travel_policy", _catalogue_name("travel_policy"), "by name; must exist")
INVOICE_PROFILES = Resolver("invoice_profiles", "invoice_profiles", _invoice_profile_names, "by name; each must exist")
MANAGER = Resolver(
    "manager",
    "manager",
    _manager_reference,
    "by id, or by the userName, externalId or employeeNumber of a person not provisioned yet (kept pending)",
)


@dataclass(frozen=True)
class Attribute:
    """One SCIM attribute (or sub-attribute) of the User resource."""

    name: str
    description: str
    type: str = "string"  # string | boolean | complex | reference | dateTime
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: tuple[Attribute, ...] = ()
    # Where the value lives: a User field, a resolver, or (complex) in the sub-attributes.
    model_field: str = ""
    resolver: Resolver | None = None
    # The domain's parser for a value it stores in another form (a date, a gender code).
    convert: Callable[[str], Any] | None = None
    # Filtering: the operators allowed (empty: not filterable) and the ORM lookup when it
    # is not the model field itself.
    filter_ops: frozenset[str] = frozenset()
    filter_lookup: str = ""
    # False for what a person always has (RFC 7644 §3.5.2.2 remove answers mutability).
    removable: bool = True
    # A multi-valued complex attribute of which the portal keeps one element: this type.
    stored_type: str = ""
    # The value when a POST or PUT leaves the attribute out.
    default: Any = None
    # Common attributes (RFC 7643 §3.1) are part of every resource but of no schema.
    common: bool = False
    # Sent by the identity provider: a local edit would be overwritten by the next cycle.
    idp_owned: bool = True

    @property
    def read_only(self) -> bool:
        return self.mutability == "readOnly"

    @cached_property
    def max_length(self) -> int | None:
        """The length the model field allows (the one place a limit is written)."""
        if not self.model_field or self.convert is not None:
            return None
        from travelportal.companies.models import User

        return User._meta.get_field(self.model_field).max_length

    def sub(self, name: str) -> Attribute | None:
        return next((s for s in self.sub_attributes if s.name == name), None)


def _work_values(description: str, value_field: str, primary_field: str) -> Attribute:
    """emails / phoneNumbers: multi-valued, of which the work element is stored."""
    return Attribute(
        name="emails" if value_field == "work_email" else "phoneNumbers",
        description=description,
        type="complex",
        multi_valued=True,
        stored_type="work",
        filter_ops=STRING_OPS,
        filter_lookup=value_field,
        sub_attributes=(
            Attribute("value", f"The {description.lower()}.", model_field=value_field, filter_ops=STRING_OPS),
            Attribute("type", "Only 'work' is stored.", canonical_values=("work",), idp_owned=False),
            Attribute(
                "primary",
                "Stored as sent; true when not sent, the stored value being the only one.",
                type="boolean",
                model_field=primary_field,
                filter_ops=EQUALITY_OPS,
            ),
        ),
    )


def _text(name: str, description: str, model_field: str, **kwargs) -> Attribute:
    return Attribute(name, description, model_field=model_field, filter_ops=STRING_OPS, **kwargs)


def _id_attribute() -> Attribute:
    """``id``, common to every resource (RFC 7643 §3.1): the row's UUID primary key."""
    return Attribute(
        "id",
        "Assigned by the portal.",
        mutability="readOnly",
        returned="always",
        uniqueness="server",
        case_exact=True,
        model_field="id",
        filter_ops=EQUALITY_OPS,
        common=True,
        idp_owned=False,
    )


def _meta_attribute(noun: str) -> Attribute:
    """``meta`` (RFC 7643 §3.1), of which the dates can be filtered."""

    def moment(name: str, description: str, model_field: str) -> Attribute:
        return Attribute(
            name,
            description,
            type="dateTime",
            mutability="readOnly",
            model_field=model_field,
            filter_ops=ORDER_OPS,
            idp_owned=False,
        )

    return Attribute(
        "meta",
        "Resource metadata.",
        type="complex",
        mutability="readOnly",
        common=True,
        idp_owned=False,
        sub_attributes=(
            moment("created", f"When the {noun} was created.", "created_at"),
            moment("lastModified", f"When the {noun} last changed.", "updated_at"),
        ),
    )


CORE_ATTRIBUTES: tuple[Attribute, ...] = (
    _id_attribute(),
    _text("externalId", "The identity provider's identifier of the user.", "external_id", common=True),
    Attribute(
        "userName",
        "Unique identifier used to sign in, compared case-insensitively.",
        required=True,
        uniqueness="server",
        model_field="username",
        filter_ops=STRING_OPS,
        removable=False,
    ),
    Attribute(
        "name",
        "The components of the user's name.",
        type="complex",
        sub_attributes=(
            _text("familyName", "Family name.", "family_name"),
            _text("givenName", "Given name.", "given_name"),
            _text("middleName", "Middle name.", "middle_name"),
            _text("honorificPrefix", "Honorific prefix, such as Ms.", "honorific_prefix"),
        ),
    ),
    _text("displayName", "Name displayed to end users.", "display_name"),
    _text("title", "Job title.", "title"),
    _text("preferredLanguage", "Preferred language, e.g. en-US.", "preferred_language", canonical_values=LANGUAGE_TAGS),
    _text("locale", "Locale, e.g. en-US.", "locale", canonical_values=LANGUAGE_TAGS),
    Attribute(
        "active",
        "false: the person can't sign in or travel.",
        type="boolean",
        model_field="is_active",
        filter_ops=EQUALITY_OPS,
        removable=False,
        default=True,
    ),
    _work_values("Work email address", "work_email", "work_email_primary"),
    _work_values("Work phone number", "work_phone", "work_phone_primary"),
    Attribute(
        "groups",
        "The groups the user belongs to; changed through the Group resource.",
        type="complex",
        multi_valued=True,
        mutability="readOnly",
        idp_owned=False,
        sub_attributes=(
            Attribute("value", "The group's id.", mutability="readOnly", idp_owned=False, case_exact=True),
            Attribute(
                "$ref",
                "URI of the group.",
                type="reference",
                reference_types=("Group",),
                mutability="readOnly",
                idp_owned=False,
            ),
            Attribute("display", "The group's displayName.", mutability="readOnly", idp_owned=False),
        ),
    ),
    _meta_attribute("resource"),
)

ENTERPRISE_ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "employeeNumber",
        "The organisation's identifier of the employee, unique within the company; stored exactly as sent.",
        case_exact=True,
        uniqueness="server",
        model_field="employee_number",
        filter_ops=frozenset({"eq", "pr"}),
    ),
    _text("department", "The department the user belongs to.", "department"),
    Attribute(
        "costCenter",
        "Cost centre name; an unknown one is created.",
        resolver=COST_CENTRE,
        filter_ops=STRING_OPS,
        filter_lookup="cost_centre__name",
    ),
    Attribute(
        "manager",
        "The user's manager, a user of the same company.",
        type="complex",
        resolver=MANAGER,
        filter_ops=EQUALITY_OPS,
        filter_lookup="manager_id",
        sub_attributes=(
            Attribute(
                "value",
                "The manager's id (or the userName, externalId or employeeNumber of a user not provisioned yet).",
                case_exact=True,
                filter_ops=EQUALITY_OPS,
                filter_lookup="manager_id",
            ),
            Attribute(
                "$ref",
                "URI of the manager (used when value is not given).",
                type="reference",
                reference_types=("User",),
            ),
            Attribute("displayName", "The manager's name.", mutability="readOnly", idp_owned=False),
        ),
    ),
)

TRAVELPERK_ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "gender",
        "M or F (male/female accepted).",
        canonical_values=tuple(people.GENDERS),
        model_field="gender",
        convert=people.parse_gender,
        filter_ops=STRING_OPS,
    ),
    Attribute(
        "dateOfBirth", "Date of birth, YYYY-MM-DD.", model_field="date_of_birth", convert=people.parse_date_of_birth
    ),
    Attribute(
        "invoiceProfiles",
        "Names of the company's invoice profiles the user may bill to; each must exist.",
        type="complex",
        multi_valued=True,
        resolver=INVOICE_PROFILES,
        sub_attributes=(Attribute("value", "Invoice profile name.", case_exact=True),),
    ),
    Attribute(
        "emergencyContact",
        "Who to call in an emergency.",
        type="complex",
        sub_attributes=(
            Attribute("name", "Emergency contact name.", model_field="emergency_contact_name"),
            Attribute("phone", "Emergency contact phone number.", model_field="emergency_contact_phone"),
        ),
    ),
    Attribute(
        "travelPolicy",
        "Name of the company's travel policy; it must exist.",
        case_exact=True,
        resolver=TRAVEL_POLICY,
        filter_ops=STRING_OPS,
        filter_lookup="travel_policy__name",
    ),
)

# The core Group (RFC 7643 §4.2). Its members are written through the groups domain,
# operation by operation (a group may have 10,000 members), not as a document.
GROUP_ATTRIBUTES: tuple[Attribute, ...] = (
    _id_attribute(),
    _text("externalId", "The identity provider's identifier of the group.", "external_id", common=True),
    Attribute(
        "displayName",
        "The group's name, unique within the company, compared case-insensitively.",
        required=True,
        uniqueness="server",
        model_field="display_name",
        filter_ops=STRING_OPS,
        removable=False,
    ),
    Attribute(
        "members",
        "The users in the group.",
        type="complex",
        multi_valued=True,
        # ``members eq "U"`` as Entra sends it compares the value sub-attribute.
        filter_ops=MEMBER_OPS,
        filter_lookup=MEMBER_LOOKUP,
        sub_attributes=(
            Attribute(
                "value",
                "The member's id.",
                case_exact=True,
                mutability="immutable",
                filter_ops=MEMBER_OPS,
                filter_lookup=MEMBER_LOOKUP,
            ),
            Attribute(
                "$ref",
                "URI of the member.",
                type="reference",
                reference_types=("User",),
                mutability="immutable",
            ),
            Attribute("display", "The member's name.", mutability="readOnly", idp_owned=False),
            Attribute("type", "Always User.", canonical_values=("User",), mutability="immutable"),
        ),
    ),
    _meta_attribute("group"),
)

ATTRIBUTES: dict[str, tuple[Attribute, ...]] = {
    CORE_USER: CORE_ATTRIBUTES,
    ENTERPRISE_USER: ENTERPRISE_ATTRIBUTES,
    TRAVELPERK_USER: TRAVELPERK_ATTRIBUTES,
}
SCHEMA_NAMES = {
    CORE_USER: ("User", "User Account"),
    ENTERPRISE_USER: ("EnterpriseUser", "Enterprise User"),
    TRAVELPERK_USER: ("TravelPerkUser", "Travel profile of a user (TravelPerk-compatible)"),
    CORE_GROUP: ("Group", "Group"),
}


def attribute_at(urn: str, name: str, sub: str | None = None) -> Attribute | None:
    """The entry for a canonically spelled (urn, name[, sub])."""
    top = next((a for a in ATTRIBUTES.get(urn, ()) if a.name == name), None)
    if top is None or sub is None:
        return top
    return top.sub(sub)


def path_of(urn: str, name: str, sub: str | None = None) -> str:
    """The attribute path a detail names (``name.givenName``, ``manager``)."""
    return f"{name}.{sub}" if sub else name


# --- Derived: the catalogue of names the request parser uses -------------------------


def _names(attributes: Iterable[Attribute]) -> dict[str, tuple[str, dict | None]]:
    """lowercase name -> (canonical name, sub-attribute catalogue or None)."""
    return {a.name.lower(): (a.name, _names(a.sub_attributes) if a.sub_attributes else None) for a in attributes}


CATALOGUE: dict[str, dict[str, tuple[str, dict | None]]] = {
    urn: _names(a for a in attrs if a.name not in ("id", "meta")) for urn, attrs in ATTRIBUTES.items()
}
READ_ONLY: frozenset[tuple[str, str, str | None]] = frozenset(
    {(urn, a.name, None) for urn, attrs in ATTRIBUTES.items() for a in attrs if a.read_only}
    | {
        (urn, a.name, s.name)
        for urn, attrs in ATTRIBUTES.items()
        for a in attrs
        for s in a.sub_attributes
        if s.read_only
    }
)
NOT_REMOVABLE: frozenset[tuple[str, str]] = frozenset(
    (urn, a.name) for urn, attrs in ATTRIBUTES.items() for a in attrs if not a.removable
)
MULTI_VALUED_COMPLEX: frozenset[str] = frozenset(
    a.name for attrs in ATTRIBUTES.values() for a in attrs if a.multi_valued and a.type == "complex"
)
STORED_TYPE: dict[str, str] = {a.name: a.stored_type for attrs in ATTRIBUTES.values() for a in attrs if a.stored_type}

# --- Derived: the schema documents (RFC 7643 §7) -------------------------------------


def _schema_attribute(a: Attribute, canonical: dict[tuple[str, ...], list[str]], path: tuple[str, ...]) -> dict:
    # Entra's schema discovery expects caseExact and uniqueness on every attribute, and
    # no nulls.
    doc: dict[str, Any] = {
        "name": a.name,
        "type": a.type,
        "multiValued": a.multi_valued,
        "description": a.description + (f" Resolved {a.resolver.rule}." if a.resolver else ""),
        "required": a.required,
        "mutability": a.mutability,
        "returned": a.returned,
        "caseExact": a.case_exact,
        "uniqueness": a.uniqueness,
    }
    if a.sub_attributes:
        doc["subAttributes"] = [_schema_attribute(s, canonical, (*path, s.name)) for s in a.sub_attributes]
    if a.reference_types:
        doc["referenceTypes"] = list(a.reference_types)
    values = canonical.get(path, list(a.canonical_values))
    if values:
        doc["canonicalValues"] = values
    return doc


def schema_documents(canonical: dict[tuple[str, ...], list[str]] | None = None) -> list[dict[str, Any]]:
    """The schema resources without ``schemas``/``meta`` (the view adds them). ``canonical``
    gives a company's own canonicalValues by (urn, attribute[, sub])."""
    canonical = canonical or {}
    return [
        {
            "id": urn,
            "name": SCHEMA_NAMES[urn][0],
            "description": SCHEMA_NAMES[urn][1],
            "attributes": [_schema_attribute(a, canonical, (urn, a.name)) for a in attrs if not a.common],
        }
        for urn, attrs in (*ATTRIBUTES.items(), (CORE_GROUP, GROUP_ATTRIBUTES))
    ]


# --- Derived: filter lookups ----------------------------------------------------------


@dataclass(frozen=True)
class FilterField:
    lookup: str
    kind: str  # string | boolean | datetime | id | reference | member
    ops: frozenset[str]
    case_exact: bool = False
    nullable: bool = False


def _filter_kind(a: Attribute, lookup: str) -> str:
    if a.type == "boolean":
        return "boolean"
    if a.type == "dateTime":
        return "datetime"
    if lookup == "id":
        return "id"
    if lookup == "manager_id":
        return "reference"
    if lookup == MEMBER_LOOKUP:
        return "member"
    return "string"


def _filter_field(a: Attribute) -> FilterField:
    lookup = a.filter_lookup or a.model_field
    kind = _filter_kind(a, lookup)
    return FilterField(
        lookup=lookup,
        kind=kind,
        ops=a.filter_ops,
        case_exact=a.case_exact and kind == "string",
        # Through a relation, a person without one compares as NULL (a member filter is
        # an EXISTS, never NULL).
        nullable=kind != "member" and ("__" in lookup or (lookup.endswith("_id") and lookup != "id")),
    )


def _filters(schemas: dict[str, tuple[Attribute, ...]]) -> dict[tuple[str, str | None, str], FilterField]:
    table: dict[tuple[str, str | None, str], FilterField] = {}
    for urn, attrs in schemas.items():
        for a in attrs:
            if a.filter_ops:
                table[(a.name.lower(), None, urn)] = _filter_field(a)
            for s in a.sub_attributes:
                if s.filter_ops:
                    table[(a.name.lower(), s.name.lower(), urn)] = _filter_field(s)
    return table


# (attribute, sub-attribute, schema URN) lower-cased, URN as spelled -> filter field.
FILTERS: dict[tuple[str, str | None, str], FilterField] = _filters(ATTRIBUTES)
GROUP_FILTERS: dict[tuple[str, str | None, str], FilterField] = _filters({CORE_GROUP: GROUP_ATTRIBUTES})


# --- Derived: a person as a canonical document ---------------------------------------


def _stored(user, a: Attribute) -> Any:
    value = getattr(user, a.model_field)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _read(user, a: Attribute) -> Any:
    if a.resolver is not None:
        return a.resolver.read(user)
    if a.stored_type:
        value_sub, primary_sub = a.sub("value"), a.sub("primary")
        value = _stored(user, value_sub)
        if not value:
            return None
        element = {"value": value, "type": a.stored_type}
        primary = _stored(user, primary_sub)
        # The one stored element is the primary one unless the client said otherwise.
        element["primary"] = True if primary is None else primary
        return [element]
    if a.sub_attributes:
        values = {s.name: _stored(user, s) for s in a.sub_attributes if s.model_field}
        return {k: v for k, v in values.items() if v not in ("", None)} or None
    return _stored(user, a)


def read_person(user) -> dict[str, Any]:
    """The person's writable attributes as a canonical document (the state a PATCH
    starts from): extension attributes under their URN, empty ones left out (RFC 7643
    §2.5: unassigned)."""
    doc: dict[str, Any] = {}
    for urn, attrs in ATTRIBUTES.items():
        target = doc if urn == CORE_USER else doc.setdefault(urn, {})
        for a in attrs:
            if a.read_only:
                continue
            value = _read(user, a)
            if value not in ("", None, {}, []):
                target[a.name] = value
    return {k: v for k, v in doc.items() if v not in ("", None, {}, [])}


# --- Derived: a canonical document as the people domain's PersonData -----------------


def _string(value: Any, path: str, limit: int | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidValue(f"{path} must be a string.")
    if limit is not None and len(value) > limit:
        raise InvalidValue(f"{path} is longer than {limit} characters.")
    return value


def parse_boolean(value: Any, path: str) -> bool:
    """JSON booleans, and the strings Entra sends (``"True"``, ``"false"``...)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidValue(f"{path} must be true or false, not {value!r}.")


def _parse_leaf(a: Attribute, value: Any, path: str) -> Any:
    if a.type == "boolean":
        if value in (None, ""):
            return a.default
        return parse_boolean(value, path)
    text = _string(value, path, a.max_length)
    if a.convert is not None:
        try:
            return a.convert(text)
        except people.PersonError as exc:
            raise InvalidValue(exc.detail) from exc
    return text


def _object(value: Any, path: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidValue(f"{path} must be an object.")
    return value


def stored_element(elements: list, stored_type: str) -> dict:
    """The element of a multi-valued attribute the portal keeps: the one typed
    ``stored_type``, else the primary one, else the first."""
    for element in elements:
        if str(element.get("type", "")).lower() == stored_type:
            return element
    primary = [e for e in elements if e.get("primary") in (True, "true", "True")]
    return primary[0] if primary else (elements[0] if elements else {})


def _parse_stored_element(a: Attribute, value: Any, fields: dict[str, object]) -> None:
    elements = value if value is not None else []
    if not isinstance(elements, list) or not all(isinstance(e, dict) for e in elements):
        raise InvalidValue(f"{a.name} must be a list of objects.")
    element = stored_element(elements, a.stored_type)
    for s in a.sub_attributes:
        if s.model_field:
            fields[s.model_field] = _parse_leaf(s, element.get(s.name), f"{a.name}.{s.name}")


def _parse_reference(a: Attribute, value: Any) -> Any:
    from travelportal.companies.models import CostCentre

    if a.resolver is COST_CENTRE:
        return _string(value, a.name, CostCentre._meta.get_field("name").max_length)
    if a.resolver is TRAVEL_POLICY:
        return _string(value, a.name, None)
    if a.resolver is INVOICE_PROFILES:
        items = value if value is not None else []
        if not isinstance(items, list):
            raise InvalidValue(f"{a.name} must be a list.")
        names = [_string(i.get("value") if isinstance(i, dict) else i, a.name, None) for i in items]
        return [n for n in names if n]
    # The manager: its id in value; a manager given only by $ref is the last path segment.
    if isinstance(value, dict):
        ref = value.get("$ref")
        value = value.get("value") or (ref.rstrip("/").rsplit("/", 1)[-1] if isinstance(ref, str) else None)
    return _string(value, a.name, None)


def parse_person(doc: dict[str, Any]) -> people.PersonData:
    """A canonical document as the people domain's ``PersonData``: every attribute, so
    what the document leaves out is cleared (or takes its default). Raises
    ``InvalidValue`` naming the attribute for a value of the wrong type or length."""
    fields: dict[str, object] = {}
    references: dict[str, Any] = {}
    for urn, attrs in ATTRIBUTES.items():
        source = doc if urn == CORE_USER else _object(doc.get(urn), urn)
        for a in attrs:
            if a.read_only:
                continue
            value = source.get(a.name)
            if a.resolver is not None:
                references[a.resolver.key] = _parse_reference(a, value)
            elif a.stored_type:
                _parse_stored_element(a, value, fields)
            elif a.sub_attributes:
                container = _object(value, a.name)
                for s in a.sub_attributes:
                    if s.model_field:
                        fields[s.model_field] = _parse_leaf(s, container.get(s.name), f"{a.name}.{s.name}")
            else:
                fields[a.model_field] = _parse_leaf(a, value, a.name)
    return people.PersonData(fields=fields, **references)


def scim_path_of_field(model_field: str) -> str:
    """The SCIM attribute path of a model field, for error details."""
    for attrs in ATTRIBUTES.values():
        for a in attrs:
            if a.model_field == model_field or (a.resolver and a.resolver.model_field == model_field):
                return a.name
            for s in a.sub_attributes:
                if s.model_field == model_field:
                    return f"{a.name}.{s.name}"
    return model_field


__all__ = [
    "ATTRIBUTES",
    "CATALOGUE",
    "CORE_USER",
    "ENTERPRISE_USER",
    "EXTENSION_URNS",
    "FILTERS",
    "MULTI_VALUED_COMPLEX",
    "NOT_REMOVABLE",
    "READ_ONLY",
    "TRAVELPERK_USER",
    "Attribute",
    "FilterField",
    "Resolver",
    "attribute_at",
    "parse_boolean",
    "parse_person",
    "read_person",
    "schema_documents",
]
