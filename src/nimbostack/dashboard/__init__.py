"""The dashboard: a web console over the public OpenStack APIs (Horizon's place)."""
