"""Statistics over the organization's calls: `/stats/overview` (with `period`: the period before and
the change), `/stats/employees` (also as `.csv` and `.xlsx`), `/stats/daily`, `/stats/monthly` and
`/stats/hourly` (also as `.csv` and `.xlsx`), `/stats/criteria`: routes, queries, the date window,
named periods and the exports."""
