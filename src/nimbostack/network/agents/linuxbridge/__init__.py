"""The Linux-bridge L2 agent: a bridge per network on the host, its segment device, taps."""
