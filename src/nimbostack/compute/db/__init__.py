"""Compute's tables and migrations (used by the API, conductor and scheduler; never the agent)."""
