"""Block storage (Cinder): volumes, snapshots, backups, types, attachments."""
