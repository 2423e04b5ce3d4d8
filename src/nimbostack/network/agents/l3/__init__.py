"""The Linux L3 agent: routers in ``qrouter-`` namespaces, NAT and floating IPs."""
