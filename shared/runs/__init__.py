"""Runs: the lasting record (`sync_runs`), live progress in Redis, run locks and task owners."""
