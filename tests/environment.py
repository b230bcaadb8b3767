"""Loaded as a pytest plugin (``-p tests.environment``) before Django's settings are read.

Tests run with DEBUG off, as production does, so they need a SECRET_KEY and
FIELD_ENCRYPTION_KEYS; these are for tests only and are used only when the environment
sets none.
"""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-deployment")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "ZbU9YXrxK849FgCx4vIFEnKI-R9WKtk3LCa_Je2w2EU=")
# The test client and live_server speak plain http; production redirects to https (see
# tests/foundation/test_settings.py for the deploy check with the default left on).
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
