"""The image service's database: tables and migrations."""
