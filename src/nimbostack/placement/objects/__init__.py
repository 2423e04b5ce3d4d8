"""Placement's state and SQL, one module per resource."""
