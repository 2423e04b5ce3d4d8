"""Backups: the chunked posix store the volume managers write to."""
