from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from travelportal.accounts.saml.config import sp_urls
from travelportal.accounts.saml.federation import MetadataError, fetch_metadata, parse_metadata
from travelportal.accounts.saml.services import (
    configure_from_metadata,
    normalise_domains,
    set_up_sso,
    update_sso_options,
)
from travelportal.audit.commands import AuditedCommand
from travelportal.companies.management import describe
from travelportal.companies.models import Company


class Command(AuditedCommand):
    help = (
        "Set up a company's SAML single sign-on from its identity provider's federation metadata "
        "(a file or an https URL). Require SSO and just-in-time creation are on only with their "
        "flags, and --domain replaces the email domains when given. Running it again with the same "
        "arguments changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the company's short name, e.g. acme")
        parser.add_argument("--idp-metadata", required=True, help="Entra's federation metadata: a file or a URL")
        parser.add_argument("--require-sso", action="store_true", help="refuse password sign-in (but break-glass)")
        parser.add_argument("--jit", action="store_true", help="create unknown people from the assertion's claims")
        parser.add_argument(
            "--domain", action="append", default=None, help="an email domain of the company's people (repeatable)"
        )

    def handle(self, *args, slug: str, idp_metadata: str, require_sso: bool, jit: bool, domain, **options):
        company = Company.objects.filter(slug=slug).first()
        if company is None:
            raise CommandError(f"No company has the slug {slug!r}.")
        try:
            if idp_metadata.startswith(("https://", "http://")):
                document, url = fetch_metadata(idp_metadata), idp_metadata
            else:
                path = Path(idp_metadata)
                if not path.is_file():
                    raise CommandError(f"{idp_metadata}: no such file.")
                document, url = path.read_bytes(), ""
            provider = parse_metadata(document)
        except MetadataError as exc:
            raise CommandError(f"{idp_metadata}: {exc}") from None
        try:
            configuration, created = set_up_sso(company=company)
            changed = configure_from_metadata(configuration=configuration, provider=provider, metadata_url=url)
            changed += update_sso_options(
                configuration=configuration,
                require_sso=require_sso,
                jit_provisioning=jit,
                break_glass_admins=configuration.break_glass_admins.all(),
                email_domains=(
                    normalise_domains(" ".join(domain))
                    if domain is not None
                    else [d.domain for d in configuration.email_domains.all()]
                ),
            )
        except ValidationError as exc:
            raise CommandError(describe(exc)) from None
        if created:
            self.stdout.write(f"Set up SSO for {company.slug} with {provider.entity_id}.")
        elif changed:
            self.stdout.write(f"Updated SSO of {company.slug} ({', '.join(changed)}).")
        else:
            self.stdout.write(f"SSO of {company.slug} is already configured so; nothing changed.")
        urls = sp_urls(company=company, base_url=settings.PUBLIC_BASE_URL.rstrip("/"))
        self.stdout.write(f"Identifier (Entity ID): {urls.entity_id}")
        self.stdout.write(f"Reply URL (ACS):        {urls.acs_url}")
        self.stdout.write(f"Sign on URL:            {urls.login_url}")
