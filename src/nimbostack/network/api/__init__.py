"""The networking API v2.0: the route table and one module per resource."""
