"""Image data stores: where image bytes live (the file store now; rbd and s3 later)."""
