"""The volume manager: one per backend, one module per workflow."""
