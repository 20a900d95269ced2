"""Sipuni routes: step 1, step 2, their progress, the saved export and the webhook; and their CLI."""
