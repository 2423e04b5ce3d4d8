"""Shared foundation: config, context, errors, API framework, auth, db, rpc. Imports no service."""
