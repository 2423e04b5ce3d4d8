"""Identity's REST API: the route table and one module per resource."""
