"""Compute migrations."""
