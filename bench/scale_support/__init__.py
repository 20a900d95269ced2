"""Pieces of bench/scale.py: what it measures (meters), the two workloads (scenarios) and the
floors it compares them with (floors)."""
