"""Every scope a portal credential can carry: one table per API, each scope with the
sentence shown wherever it is chosen or explained.

``SCIM_SCOPES`` are the SCIM API's (SCIM tokens, and the OAuth tokens Entra's gallery
client gets); ``API_SCOPES`` the REST API's (API keys, a company's own OAuth clients, the
Developers page and the OpenAPI document). Both make up ``OAUTH2_PROVIDER["SCOPES"]``.

Pure Python with no Django import, so ``settings.py`` can read it.
"""

from __future__ import annotations

SCIM_SCOPES: dict[str, str] = {
    "scim:read": "Read the company's users",
    "scim:write": "Create and update the company's users",
    "scim:delete": "Deactivate and delete the company's users",
}

API_SCOPES: dict[str, str] = {
    "users:read": "Read the company's people",
    "cost_centers:read": "Read cost centres",
    "cost_centers:write": "Create, rename and archive cost centres and set their members",
    "policies:read": "Read travel policies",
    "policies:write": "Create, change and archive travel policies",
    "trips:read": "Read trips and invoice profiles",
    "approvals:read": "Read approval processes and pending approvals",
    "approvals:write": "Edit manual approval processes and decide approvals",
    "webhooks:read": "Read webhook subscriptions and deliveries",
    "webhooks:write": "Create, change and delete webhook subscriptions",
    "provisioning:read": "Read the provisioning log",
}
