"""The metadata agent and its haproxy proxies in the DHCP and router namespaces."""
