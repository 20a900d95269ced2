"""What the benchmarks of the read routes (`bench/stats.py`, `bench/students.py`) share."""
