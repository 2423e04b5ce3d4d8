"""The image service's HTTP API (Glance v2): route table and one module per resource."""
