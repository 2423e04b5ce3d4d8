"""The compute agent (nova-compute): one per hypervisor host; never touches the database."""
