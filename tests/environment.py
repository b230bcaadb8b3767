"""Loaded as a pytest plugin (``-p tests.environment``) before Django's settings are read.

Tests run with DEBUG off, as production does, so they need a SECRET_KEY; this one is
for tests only and is used only when the environment sets none.
"""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-deployment")
