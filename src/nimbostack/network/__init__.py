"""The networking service (Neutron API v2.0)."""
