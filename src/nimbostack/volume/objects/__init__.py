"""Block storage state and SQL, one module per resource."""
