"""Register the OAuth client Microsoft's Entra gallery entry uses, and print its credentials."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from travelportal.audit.commands import AuditedCommand
from travelportal.tokens.services import register_entra_application


class Command(AuditedCommand):
    help = (
        "Register the Entra ID OAuth client (once). Prints 'client_id: …' and 'client_secret: …'; "
        "the secret is stored only as a hash, so it is printed only when created or rotated."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--redirect-uri",
            action="append",
            default=[],
            dest="redirect_uris",
            help="An extra allowed redirect URI (exact match). Repeatable.",
        )
        parser.add_argument(
            "--rotate-secret",
            action="store_true",
            help="Replace the client secret of the existing client and print the new one.",
        )

    def handle(self, *args, redirect_uris, rotate_secret, **options):
        try:
            result = register_entra_application(extra_redirect_uris=redirect_uris, rotate_secret=rotate_secret)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"client_id: {result.application.client_id}")
        if result.client_secret is not None:
            self.stdout.write(f"client_secret: {result.client_secret}")
        else:
            self.stderr.write(
                "The client already exists; its secret is stored only as a hash and can't be shown again. "
                "Use --rotate-secret to issue a new one."
            )
