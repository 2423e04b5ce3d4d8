"""Tokens: the encrypted format, the key repository, issuing, validating and revoking."""
