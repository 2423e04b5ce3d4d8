"""The networking tables and their migrations."""
