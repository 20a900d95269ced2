"""Pieces of bench/hemis_many.py: the fleet of simulated HEMIS instances it plans (fleet), the one
process serving them on a port each (fleet_server), the race of their runs on two workers (race),
what is sampled while it goes (timeline) and the table it prints (table)."""
