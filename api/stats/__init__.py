"""Statistics over the organization's calls: `/stats/overview`, `/stats/employees` (also as `.csv` and
`.xlsx`), `/stats/daily`, `/stats/criteria`: routes, queries, the date window and the exports."""
