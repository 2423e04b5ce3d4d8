"""Response bodies of the compute API, per resource and microversion."""
