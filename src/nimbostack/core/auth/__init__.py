"""Authentication (token validation) and authorization (policy) for every API."""
