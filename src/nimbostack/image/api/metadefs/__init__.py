"""Metadata definitions (metadefs) API: namespaces and the definitions they hold."""
