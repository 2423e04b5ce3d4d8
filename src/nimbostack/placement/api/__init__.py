"""Placement's HTTP layer: the route table and one module per resource."""
