"""Identity migrations."""
