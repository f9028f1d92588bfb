"""Helpers several apps use (healthchecks' hc/lib): no models, and no import of any app."""
