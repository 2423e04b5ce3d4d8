"""The metadata API guests read (OpenStack and EC2 formats), on [compute] metadata_port."""
