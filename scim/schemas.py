"""The schema documents the portal publishes at ``/Schemas`` (RFC 7643 §7), and the
attribute catalogue the adapters use to canonicalise attribute names sent in any case.

Only attributes the portal stores are described, so an Entra admin's mapping list shows
exactly what round-trips. The TravelPerk extension keeps TravelPerk's URN so companies
moving from TravelPerk keep their Entra mappings.
"""

from __future__ import annotations

import copy
from typing import Any

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TRAVELPERK_USER = "urn:ietf:params:scim:schemas:extension:travelperk:2.0:User"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
EXTENSION_URNS = (ENTERPRISE_USER, TRAVELPERK_USER)


def attribute(
    name: str,
    *,
    type_: str = "string",
    description: str = "",
    multi: bool = False,
    required: bool = False,
    case_exact: bool = False,
    mutability: str = "readWrite",
    returned: str = "default",
    uniqueness: str = "none",
    sub: list[dict[str, Any]] | None = None,
    reference_types: list[str] | None = None,
    canonical: list[str] | None = None,
) -> dict[str, Any]:
    """One attribute definition (RFC 7643 §7), with nulls left out as Entra prefers."""
    doc: dict[str, Any] = {
        "name": name,
        "type": type_,
        "multiValued": multi,
        "description": description or name,
        "required": required,
        "mutability": mutability,
        "returned": returned,
    }
    # Entra's schema discovery expects caseExact and uniqueness on every attribute.
    doc["caseExact"] = case_exact
    doc["uniqueness"] = uniqueness
    if sub is not None:
        doc["subAttributes"] = sub
    if reference_types:
        doc["referenceTypes"] = reference_types
    if canonical:
        doc["canonicalValues"] = canonical
    return doc


def _typed_value_list(name: str, description: str) -> dict[str, Any]:
    return attribute(
        name,
        type_="complex",
        multi=True,
        description=description,
        sub=[
            attribute("value", description=f"The {description.lower()}."),
            attribute("type", description="Only 'work' is stored.", canonical=["work"]),
            attribute("primary", type_="boolean", description="Always true for the stored value."),
        ],
    )


# Suggestions only (RFC 7643 §2.3.1: canonicalValues MAY be used); any tag up to 35
# characters is stored.
LANGUAGE_TAGS = ["en-US", "en-GB", "es-ES", "fr-FR", "de-DE", "it-IT", "pt-PT", "nl-NL", "ca-ES"]

USER_ATTRIBUTES = [
    attribute(
        "userName",
        required=True,
        uniqueness="server",
        description="Unique identifier used to sign in, compared case-insensitively.",
    ),
    attribute(
        "name",
        type_="complex",
        description="The components of the user's name.",
        sub=[
            attribute("familyName", description="Family name."),
            attribute("givenName", description="Given name."),
            attribute("middleName", description="Middle name."),
            attribute("honorificPrefix", description="Honorific prefix, such as Ms."),
        ],
    ),
    attribute("displayName", description="Name displayed to end users."),
    attribute("title", description="Job title."),
    attribute("preferredLanguage", description="Preferred language, e.g. en-US.", canonical=LANGUAGE_TAGS),
    attribute("locale", description="Locale, e.g. en-US.", canonical=LANGUAGE_TAGS),
    attribute("active", type_="boolean", description="false: the person can't sign in or travel."),
    _typed_value_list("emails", "Work email address"),
    _typed_value_list("phoneNumbers", "Work phone number"),
]

ENTERPRISE_ATTRIBUTES = [
    attribute("costCenter", description="Cost centre name; an unknown one is created."),
    attribute(
        "manager",
        type_="complex",
        description="The user's manager, a user of the same company.",
        sub=[
            attribute(
                "value",
                description="The manager's id (or userName/externalId of a user not provisioned yet).",
                case_exact=True,
            ),
            attribute(
                "$ref",
                type_="reference",
                reference_types=["User"],
                description="URI of the manager (used when value is not given).",
            ),
            attribute("displayName", mutability="readOnly", description="The manager's name."),
        ],
    ),
]

TRAVELPERK_ATTRIBUTES = [
    attribute("gender", description="M or F (male/female accepted).", canonical=["M", "F"]),
    attribute("dateOfBirth", description="Date of birth, YYYY-MM-DD."),
    attribute(
        "invoiceProfiles",
        type_="complex",
        multi=True,
        description="Names of the company's invoice profiles the user may bill to; each must exist.",
        sub=[attribute("value", case_exact=True, description="Invoice profile name.")],
    ),
    attribute(
        "emergencyContact",
        type_="complex",
        description="Who to call in an emergency.",
        sub=[
            attribute("name", description="Emergency contact name."),
            attribute("phone", description="Emergency contact phone number."),
        ],
    ),
    attribute("travelPolicy", case_exact=True, description="Name of the company's travel policy; it must exist."),
]

SCHEMAS: dict[str, dict[str, Any]] = {
    CORE_USER: {"id": CORE_USER, "name": "User", "description": "User Account", "attributes": USER_ATTRIBUTES},
    ENTERPRISE_USER: {
        "id": ENTERPRISE_USER,
        "name": "EnterpriseUser",
        "description": "Enterprise User",
        "attributes": ENTERPRISE_ATTRIBUTES,
    },
    TRAVELPERK_USER: {
        "id": TRAVELPERK_USER,
        "name": "TravelPerkUser",
        "description": "Travel profile of a user (TravelPerk-compatible)",
        "attributes": TRAVELPERK_ATTRIBUTES,
    },
}


def schema_documents(company=None) -> list[dict[str, Any]]:
    """The schema resources without meta (django-scim2's SCHEMAS_GETTER); the view adds
    ``schemas`` and an absolute ``meta.location``, which depend on the request.

    Given the company, ``travelPolicy`` and ``invoiceProfiles`` list the company's names
    as ``canonicalValues`` (RFC 7643 §7), so an admin mapping them sees what is valid."""
    if company is None:
        return list(SCHEMAS.values())
    from travelportal.companies.models import InvoiceProfile, TravelPolicy

    documents = copy.deepcopy(SCHEMAS)
    policies = list(TravelPolicy.objects.for_company(company).live().values_list("name", flat=True))
    profiles = list(InvoiceProfile.objects.for_company(company).live().values_list("name", flat=True))
    for attr in documents[TRAVELPERK_USER]["attributes"]:
        if attr["name"] == "travelPolicy" and policies:
            attr["canonicalValues"] = policies
        if attr["name"] == "invoiceProfiles" and profiles:
            attr["subAttributes"][0]["canonicalValues"] = profiles
    return list(documents.values())


def _names(attributes: list[dict[str, Any]]) -> dict[str, Any]:
    """lowercase name -> (canonical name, sub-attribute catalogue or None)."""
    return {
        a["name"].lower(): (a["name"], _names(a["subAttributes"]) if "subAttributes" in a else None) for a in attributes
    }


# Catalogue used to canonicalise names: {schema urn: {lower name: (name, subs)}}.
CATALOGUE: dict[str, dict[str, Any]] = {urn: _names(doc["attributes"]) for urn, doc in SCHEMAS.items()}
# externalId is a common attribute (RFC 7643 §3.1), writable but not part of the schema.
CATALOGUE[CORE_USER]["externalid"] = ("externalId", None)
READ_ONLY = {
    (CORE_USER, "id", None),
    (CORE_USER, "meta", None),
    (CORE_USER, "groups", None),
    (ENTERPRISE_USER, "manager", "displayName"),
}
