"""Nimbostack: an OpenStack-compatible IaaS cloud that runs on one machine or many."""

__version__ = "0.1.0"
