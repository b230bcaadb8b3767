"""The schema documents the portal publishes at ``/Schemas`` (RFC 7643 §7), derived from
the attribute map (``scim.mapping``).

Only attributes the portal stores are described, so an Entra admin's mapping list shows
exactly what round-trips. The TravelPerk extension keeps TravelPerk's URN so companies
moving from TravelPerk keep their Entra mappings.
"""

from __future__ import annotations

from typing import Any

from scim.mapping import CORE_USER, ENTERPRISE_USER, EXTENSION_URNS, TRAVELPERK_USER
from scim.mapping import schema_documents as _documents

SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

__all__ = ["CORE_USER", "ENTERPRISE_USER", "EXTENSION_URNS", "SCHEMA_SCHEMA", "TRAVELPERK_USER", "schema_documents"]


def schema_documents(company=None) -> list[dict[str, Any]]:
    """The schema resources without meta (django-scim2's SCHEMAS_GETTER); the view adds
    ``schemas`` and an absolute ``meta.location``, which depend on the request.

    Given the company, ``travelPolicy`` and ``invoiceProfiles`` list the names of the
    company's active entries as ``canonicalValues`` (RFC 7643 §7), so an admin mapping
    them, or a schema-driven SCIM tool, sees what is accepted."""
    if company is None:
        return _documents()
    from travelportal.companies.models import InvoiceProfile, TravelPolicy

    policies = list(TravelPolicy.objects.for_company(company).live().values_list("name", flat=True))
    profiles = list(InvoiceProfile.objects.for_company(company).live().values_list("name", flat=True))
    canonical = {}
    if policies:
        canonical[(TRAVELPERK_USER, "travelPolicy")] = policies
    if profiles:
        canonical[(TRAVELPERK_USER, "invoiceProfiles", "value")] = profiles
    return _documents(canonical)
