"""Compute service: instances, their hypervisor driver and what is attached to them."""
