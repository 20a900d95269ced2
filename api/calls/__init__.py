"""Calls over HTTP: list, detail, reprocessing and the recording's audio."""
