"""ML2 type drivers: how networks get their segments (flat, VLAN, VXLAN)."""
