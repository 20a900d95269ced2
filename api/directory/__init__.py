"""The directory: reading what HEMIS syncs (students, employees, the lookup lists) and counting it.

Routes: `students.py`, `employees.py` (both declared by `people.py`), `lookups.py`, `stats.py`,
composed in `routes.py`. Beneath them: the query parameters (`filters.py`) and their SQL
(`conditions.py`), the keyset order and cursor (`keyset.py`, `cursor.py`), what a row shows
(`records.py`, `schemas.py`), the downloads (`export.py`, `workbook.py`) and the counts
(`counts.py`); `listing.py` is what the routes share.
"""
