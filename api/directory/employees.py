"""`/employees`, `/employees.csv`, `/employees.xlsx`, `/employees/<id>` (`api.directory.people`).

An employee row is one position (HEMIS's `meta_id`): a person working in two departments is two
rows with one `hemisId`. The list filters on `status` (the employee status), `departmentId`,
`active`, `search` and `updatedSince`; `/employees/<id>` answers the row and `positions`: every
position of its person.
"""

from __future__ import annotations

from api.directory.filters import EmployeesFilter, EmployeesQuery
from api.directory.people import People, blueprint
from api.directory.records import EMPLOYEE, EMPLOYEES

bp = blueprint(People(plural="employees", singular="employee", siblings="positions", title="Employees",
                      listed=EMPLOYEES, record=EMPLOYEE, filter=EmployeesFilter, query=EmployeesQuery))
