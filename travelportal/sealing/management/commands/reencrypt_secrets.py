from __future__ import annotations

from travelportal.audit.commands import AuditedCommand
from travelportal.sealing.services import reencrypt_secrets


class Command(AuditedCommand):
    help = (
        "Encrypt every stored secret (webhook signing secrets, SAML SP private keys, secrets of "
        "remembered API answers) again under the first key of FIELD_ENCRYPTION_KEYS, after a new key "
        "was put first. Values already under it are left; running it again changes nothing."
    )

    def handle(self, *args, **options):
        rewritten = reencrypt_secrets()
        for column, count in rewritten.items():
            self.stdout.write(f"{column}: {count} re-encrypted")
        self.stdout.write(f"{sum(rewritten.values())} value(s) re-encrypted under the first key.")
