"""REST clients for the services, used by other services, the dashboard and the tests."""
