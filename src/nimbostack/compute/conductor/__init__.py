"""The compute conductor: runs the multi-host workflows and is the agents' database."""
