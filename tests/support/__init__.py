"""Helpers the test suite uses to start real servers and a real cloud."""
