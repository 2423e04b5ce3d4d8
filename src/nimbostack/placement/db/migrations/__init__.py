"""Placement migrations."""
