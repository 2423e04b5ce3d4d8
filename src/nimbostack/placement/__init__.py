"""Placement: resource providers, inventories, traits, aggregates and allocations."""
