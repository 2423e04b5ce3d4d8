"""Networking state and SQL, one module per resource."""
