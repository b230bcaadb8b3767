"""Encryption of secrets stored in the database (issue 21, part 4): ``keys`` (MultiFernet
from FIELD_ENCRYPTION_KEYS), ``fields`` (EncryptedTextField) and ``services``
(re-encryption under the current key)."""
