"""Company Settings, mounted at /company/. The SCIM page path is the tutorial's
/company/integrations/scim, reachable with and without the trailing slash."""

from __future__ import annotations

from django.urls import path, re_path

from travelportal.companysettings.views import (
    activity,
    approvals,
    audit,
    catalogue,
    developers,
    groups,
    people,
    scim,
    sso,
    webhooks,
)

app_name = "companysettings"

urlpatterns = [
    path("", scim.landing, name="landing"),
    re_path(r"^integrations/scim/?$", scim.scim_settings, name="scim"),
    path("integrations/scim/enable", scim.scim_enable, name="scim-enable"),
    path("integrations/scim/disable", scim.scim_disable, name="scim-disable"),
    path("integrations/scim/tokens", scim.token_create, name="token-create"),
    path("integrations/scim/tokens/<int:pk>/revoke", scim.token_revoke, name="token-revoke"),
    path("integrations/scim/connection/disconnect", scim.connection_disconnect, name="connection-disconnect"),
    path("integrations/scim/approvals", scim.approvals_save, name="approvals-save"),
    re_path(r"^integrations/sso/?$", sso.sso_settings, name="sso"),
    path("integrations/sso/setup", sso.sso_setup, name="sso-setup"),
    path("integrations/sso/certificate/rotate", sso.sp_certificate_rotate, name="sso-rotate"),
    path("integrations/sso/idp/metadata", sso.idp_metadata_save, name="sso-idp-metadata"),
    path("integrations/sso/idp", sso.idp_manual_save, name="sso-idp"),
    path("integrations/sso/options", sso.options_save, name="sso-options"),
    path("sign-in-activity/", sso.sign_in_activity, name="sign-in-activity"),
    path("developers/", developers.developers, name="developers"),
    path("developers/keys", developers.api_key_create, name="api-key-create"),
    path("developers/keys/<int:pk>/revoke", developers.api_key_revoke, name="api-key-revoke"),
    path("developers/webhooks/", webhooks.webhook_list, name="webhooks"),
    path("developers/webhooks/<uuid:pk>/", webhooks.webhook_detail, name="webhook"),
    path("developers/webhooks/<uuid:pk>/enable", webhooks.webhook_enable, name="webhook-enable"),
    path("developers/webhooks/<uuid:pk>/disable", webhooks.webhook_disable, name="webhook-disable"),
    path("people/", people.people_list, name="people"),
    path("people/<uuid:pk>/", people.person_detail, name="person"),
    path("people/<uuid:pk>/edit/", people.person_edit, name="person-edit"),
    path("groups/", groups.group_list, name="groups"),
    path("groups/<uuid:pk>/", groups.group_detail, name="group"),
    path("groups/<uuid:pk>/edit/", groups.group_edit, name="group-edit"),
    path("approval-processes/", approvals.process_list, name="approval-processes"),
    path("approval-processes/new/", approvals.process_edit, name="approval-process-create"),
    path("approval-processes/<int:pk>/", approvals.process_detail, name="approval-process"),
    path("approval-processes/<int:pk>/edit/", approvals.process_edit, name="approval-process-edit"),
    path("approval-processes/<int:pk>/delete/", approvals.process_delete, name="approval-process-delete"),
    path("provisioning-activity/", activity.provisioning_activity, name="activity"),
    path("audit/", audit.audit_trail, name="audit"),
]

for kind in catalogue.KINDS:
    urlpatterns += [
        path(f"{kind}/", catalogue.catalogue_list, {"kind": kind}, name=f"{kind}"),
        path(f"{kind}/new/", catalogue.catalogue_create, {"kind": kind}, name=f"{kind}-create"),
        path(f"{kind}/<int:pk>/edit/", catalogue.catalogue_edit, {"kind": kind}, name=f"{kind}-edit"),
        path(f"{kind}/<int:pk>/archive", catalogue.catalogue_archive, {"kind": kind}, name=f"{kind}-archive"),
        path(f"{kind}/<int:pk>/restore", catalogue.catalogue_restore, {"kind": kind}, name=f"{kind}-restore"),
    ]
