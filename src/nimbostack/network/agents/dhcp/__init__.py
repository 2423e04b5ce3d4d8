"""The DHCP agent: dnsmasq in a ``qdhcp-<net-id>`` namespace per network it hosts."""
