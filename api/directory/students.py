"""`/students`, `/students.csv`, `/students.xlsx`, `/students/<id>` (`api.directory.people`).

A student row is one enrolment (HEMIS's `meta_id`): a person studying for a bachelor's and a
master's degree is two rows with one `hemisId`. The list filters on `status`, `departmentId` (the
faculty), `groupId`, `specialtyId`, `course`, `educationForm`, `active`, `search` and
`updatedSince`; `/students/<id>` answers the row and `enrolments`: every enrolment of its person.
"""

from __future__ import annotations

from api.directory.filters import StudentsFilter, StudentsQuery
from api.directory.people import People, blueprint
from api.directory.records import STUDENT, STUDENTS

bp = blueprint(People(plural="students", singular="student", siblings="enrolments", title="Students",
                      listed=STUDENTS, record=STUDENT, filter=StudentsFilter, query=StudentsQuery))
