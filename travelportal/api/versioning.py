"""``Api-Version``, TravelPerk's header: every request may carry it, missing means 1."""

from __future__ import annotations

from travelportal.api.problems import UnsupportedApiVersion

API_VERSION_HEADER = "Api-Version"
SUPPORTED_VERSIONS = ("1",)
DEFAULT_VERSION = "1"


def api_version(request) -> str:
    """The version a request asks for; any but the supported ones is a 400 naming them."""
    version = request.headers.get(API_VERSION_HEADER)
    if version is None:
        return DEFAULT_VERSION
    if version.strip() not in SUPPORTED_VERSIONS:
        supported = ", ".join(SUPPORTED_VERSIONS)
        raise UnsupportedApiVersion(
            f"Api-Version {version!r} is not supported. Supported versions: {supported}.",
            supported_versions=list(SUPPORTED_VERSIONS),
        )
    return version.strip()
