"""Thin entry points: the `nimbostack` command and its subcommands."""
