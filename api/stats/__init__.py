"""Statistics over the organization's calls: `/stats/overview`, `/stats/employees` (also as
`.csv` and `.xlsx`), `/stats/daily`, `/stats/criteria`. See `api.stats.routes`."""

from api.stats.routes import bp

__all__ = ["bp"]
