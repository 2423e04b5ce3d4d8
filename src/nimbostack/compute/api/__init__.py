"""The compute API (Nova v2.1): route table, one module per resource, views."""
