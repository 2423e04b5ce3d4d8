"""The volume scheduler: picks a backend for each new volume."""
