"""Branches and departments of an organization (issue 19 point 2): their routes, and the one
scoping of lists and figures by team (`api.teams.scope`)."""
