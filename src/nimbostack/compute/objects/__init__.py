"""Compute's data access: plain async functions over a session, one module per resource."""
