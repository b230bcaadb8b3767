"""The portal's REST API for integrations at /api/, shaped like TravelPerk's public API."""
