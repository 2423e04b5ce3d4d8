"""The networking agents that run on each host (L2; DHCP, L3 and metadata later)."""
