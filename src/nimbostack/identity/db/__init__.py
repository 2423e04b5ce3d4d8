"""Identity's tables and migrations."""
