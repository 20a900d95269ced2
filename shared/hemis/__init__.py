"""What the API, beat and the HEMIS workers agree on: run kinds and the start path of a run."""
