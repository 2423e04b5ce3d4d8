"""The L2 agent's firewall: security groups and anti-spoofing on nftables (``driver.py``)."""

from nimbostack.network.agents.firewall.driver import NftFirewall

__all__ = ["NftFirewall"]
