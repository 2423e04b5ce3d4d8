"""The block storage API (Cinder v3): route table, one module per resource."""
