"""Benchmarks: each prints a markdown table with its conditions."""
