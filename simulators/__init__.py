"""Faithful simulators of the upstream APIs (HEMIS, Sipuni), for tests, benchmarks and make run."""
