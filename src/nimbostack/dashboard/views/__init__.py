"""The dashboard's pages, one module per panel."""
