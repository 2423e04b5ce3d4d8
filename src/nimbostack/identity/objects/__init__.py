"""Identity's data access: one module per resource, plain async functions over a session."""
