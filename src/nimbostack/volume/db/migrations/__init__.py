"""Block storage migrations."""
