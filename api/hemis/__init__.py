"""HEMIS routes and CLI: start full and single-record syncs, and their progress."""
