"""The university's structure the simulator serves: `department-list`, `specialty-list`,
`group-list`, `semester-list`; the students' and employees' nested objects are built from it, so
every id an item points to is listed (`data.py`).

What the real items look like (no official spec exists; reference `hemis.md` §1). Sources are
public clients found with `find_string` (the index ids of files whose repository the index does not
name, as in the reference) and the HEMIS-PHP source (izzatbekulkanov/HEMIS-PHP). Tags as in the
reference: [V] a typed model or a live observation, [U] two or more clients rely on it, [I] inferred.

department-list — faculties, kafedras and other units in one list [U]:
  `{id:int, name, code, parent:int|null, active:bool, structureType:{code,name},
  localityType:{code,name}}`: a typed DTO with exactly these fields (urspi Java client,
  `HemisDepartmentDto`, `60304623860`); ttatf-style Laravel service reads the same
  (`24121752298`: structureType/localityType code and name, parent, active); a student's
  `department` is the same object (reference §6). structureType codes: 11 faculty ("Fakultet"), 12
  kafedra ("Kafedra") [V] (HEMIS-PHP `StructureType`); 13 section, 14 "boshqarma", 15 centre, 10
  other, 16 rectorate [U] (`52809739619` maps them). A kafedra's `parent` is its faculty
  (HEMIS-PHP `common/models/structure/EDepartment.php`: `parent` int|null, `getDepartmentList`
  filters kafedras by `parent`). Codes: `<university>-1NN` a faculty, `<faculty code>-NN` its
  kafedra, `<university>-2NN` other units (EDepartment::validateCode) [V].
  Parameters: `active=1` is what clients send for active units only (`15371222508`, `60304623860`,
  `13196500022`, `17145000576`), `_structure_type=11|12` to filter (`19696722992`,
  `29492716337`, `17935898681`), `parent` (`60316241559`). `active=all` (reference §2.1, issue
  20) is not seen in any stored client [G]; whether HEMIS lists inactive units without `active`
  is unknown [G]. The simulator: no `active` → active only, `1`/`0` → active/inactive, `all` → both.

specialty-list [U]: `{id, code, name, active, department:{id,name,code,...},
  educationType:{code,name}, localityType:{code,name}}` (urspi `HemisSpecialtyDto` `60588344148`;
  namspi Django `14167468333` and `19389571433` read educationType and department.code;
  `664341945` reads `department.id`). Filters `_department`, `_education_type`,
  `_locality_type` (`60316241559`). A specialty's id was seen as a hex string in `account/me`
  (reference §6): one specialty here has one.

group-list [U]: `{id, name, active, department:{id,name,code,parent,active,structureType,
  localityType}, specialty:{id,code,name}, educationLang:{code,name}, _curriculum:int}` (ttatf
  `ImportGroups` `24169959386` reads exactly these; urspi `HemisGroupDto` `60351401644`, which notes
  a misspelled `specilaty` on some installation; `14167468333`; `24121752298`). No client reads an
  education form from a group (one notes it is only on `curriculum-list`, `68310356455`), so the
  simulator's groups have none. Graduated groups stay listed with `active: true` (reference §9.8).
  Filters `_department`, `_curriculum`, `_education_form` (`45919221900`, `35749684556`).

semester-list [U]: one item per semester *of each curriculum* (`68587804260`: "thousands of rows,
  not ~8"; HEMIS-PHP `common/models/curriculum/Semester.php`, table `h_semestr`, unique
  (code, _curriculum)): `{id, code, name, _curriculum:int, _education_year:"2024",
  level:{code,name}|null, current:bool, curriculumWeeks:[{id, current, start_date, end_date,
  start_date_f:"dd.mm.yyyy", end_date_f}]}` (ttatf `24481565781` and `24121752298`, a Django
  client `69280642389` that also guards `level is None`; `10283548879` reads `_education_year`).
  `code` is the semester classifier (11 = 1st semester ... a student's `semester.code`), `level`
  the course (11..14). Week timestamps are assumed to be local midnights in Tashkent (UTC+5) [I],
  which is why the printed `_f` dates are the ones to trust. Filter `_curriculum` (`69280642389`).

Students point to these lists (reference §6): `department` (the faculty), `specialty{id,code,name}`,
`group{id,name,educationLang}`, `semester{id,code,name}`, `level`; employees to a kafedra and to
`tutorGroups[{id,name}]`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

UNIVERSITY_CODE = "326"
CURRENT_YEAR = 2024  # the education year the simulated data is in ("2024-2025")
LOCALITY = {"code": "11", "name": "Mahalliy"}
STRUCTURE_TYPES = {"11": "Fakultet", "12": "Kafedra", "13": "Bo‘lim", "14": "Boshqarma", "15": "Markaz",
                   "16": "Rektorat"}
EDUCATION_TYPES = {"11": "Bakalavr", "12": "Magistr"}
LANGUAGES = {"11": "O‘zbek", "12": "Rus"}
WEEKS_PER_SEMESTER = 16
TASHKENT_UTC_OFFSET_S = 5 * 3600
DAY_S = 86_400
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Unit:
    """A row of department-list."""

    id: int
    name: str
    structure: str  # structureType code
    code: str
    parent: int | None = None
    active: bool = True


@dataclass(frozen=True)
class Program:
    """A row of specialty-list: `key` is its number here, `id` what HEMIS calls it (int or hex)."""

    key: int
    id: int | str
    code: str
    name: str
    faculty: int
    education_type: str  # "11" bachelor, "12" master
    years: int


@dataclass(frozen=True)
class Cohort:
    """A group: one intake of one programme (level 1..years; past that, graduated)."""

    program: Program
    level: int

    @property
    def intake(self) -> int:
        return CURRENT_YEAR + 1 - self.level

    @property
    def group_id(self) -> int:
        base = 3_000 if self.program.education_type == "11" else 4_000
        return base + self.program.key * 10 + self.level

    @property
    def group_name(self) -> str:
        prefix = "" if self.program.education_type == "11" else "M"
        return f"{prefix}{self.program.code[-3:]}-{self.intake % 100}"

    @property
    def curriculum(self) -> int:
        return 10_000 + self.program.key * 10 + self.level

    @property
    def language(self) -> str:
        return "12" if (self.program.key + self.level) % 4 == 0 else "11"

    def semester_id(self, number: int) -> int:
        return self.curriculum * 10 + number


def _faculty(id_: int, number: int, name: str, active: bool = True) -> Unit:
    return Unit(id_, name, "11", f"{UNIVERSITY_CODE}-{100 + number}", active=active)


FACULTIES = [_faculty(11, 1, "Energetika fakulteti"), _faculty(12, 2, "Kon-metallurgiya fakulteti"),
             _faculty(13, 3, "Kimyo-texnologiya fakulteti"), _faculty(14, 4, "Iqtisodiyot fakulteti"),
             _faculty(15, 5, "Axborot texnologiyalari fakulteti"),
             _faculty(16, 6, "Qurilish fakulteti", active=False)]  # closed: listed with active=all only
_FACULTY_CODES = {unit.id: unit.code for unit in FACULTIES}
# (id, name, faculty, number within the faculty, active)
_CHAIR_ROWS = [(211, "Oliy matematika kafedrasi", 15, 1, True), (212, "Fizika kafedrasi", 11, 1, True),
               (213, "Informatika kafedrasi", 15, 2, True), (214, "Kimyo kafedrasi", 13, 1, True),
               (215, "Iqtisodiyot kafedrasi", 14, 1, True), (216, "Xorijiy tillar kafedrasi", 12, 1, True),
               (217, "Qurilish konstruksiyalari kafedrasi", 16, 1, False)]
CHAIRS = [Unit(id_, name, "12", f"{_FACULTY_CODES[faculty]}-{number:02d}", faculty, active)
          for id_, name, faculty, number, active in _CHAIR_ROWS]
ACTIVE_CHAIRS = [unit for unit in CHAIRS if unit.active]  # where employees work
OTHER_UNITS = [Unit(301, "Rektorat", "16", f"{UNIVERSITY_CODE}-201"),
               Unit(302, "O‘quv-uslubiy boshqarma", "14", f"{UNIVERSITY_CODE}-202"),
               Unit(303, "Axborot-resurs markazi", "15", f"{UNIVERSITY_CODE}-203"),
               Unit(304, "Magistratura bo‘limi", "13", f"{UNIVERSITY_CODE}-204")]
UNITS = {unit.id: unit for unit in FACULTIES + CHAIRS + OTHER_UNITS}

# The bachelor programmes students are drawn from (this order: `data.student` draws by index).
BACHELOR_PROGRAMS = [Program(101, 101, "60610100", "Kompyuter injiniringi", 15, "11", 4),
                     Program(102, 102, "60711400", "Elektr energetikasi", 11, "11", 4),
                     Program(103, 103, "60720100", "Kimyoviy texnologiya", 13, "11", 4),
                     # One installation sent a hex specialty id: ids are int | str.
                     Program(104, "5e0c7a2f", "60410100", "Iqtisodiyot", 14, "11", 4),
                     Program(105, 105, "60720700", "Metallurgiya", 12, "11", 4)]
MASTER_PROGRAMS = [Program(p.key + 100, p.key + 100, "7" + p.code[1:], f"{p.name} (magistratura)", p.faculty,
                           "12", 2) for p in BACHELOR_PROGRAMS]
# A programme nobody studies any more: listed, with no group.
IDLE_PROGRAMS = [Program(106, 106, "60721700", "Konchilik ishi", 12, "11", 4)]
PROGRAMS = {p.key: p for p in BACHELOR_PROGRAMS + MASTER_PROGRAMS + IDLE_PROGRAMS}
GRADUATED_LEVEL = 5  # a bachelor cohort past its 4 years: its group is still listed (reference §9.8)
COHORTS = ([Cohort(p, level) for p in BACHELOR_PROGRAMS for level in range(1, GRADUATED_LEVEL + 1)]
           + [Cohort(p, level) for p in MASTER_PROGRAMS for level in (1, 2)])
STUDENT_GROUPS = [c for c in COHORTS if c.level <= c.program.years]  # where tutors work


# --- the objects students and employees carry ---------------------------------------------------
def department_ref(unit_id: int) -> dict[str, Any]:
    """A `department` object as list items carry it (and department-list lists it)."""
    unit = UNITS[unit_id]
    return {"id": unit.id, "name": unit.name, "code": unit.code, "structureType": structure_type(unit.structure),
            "localityType": dict(LOCALITY), "parent": unit.parent, "active": unit.active}


def specialty_ref(program: Program) -> dict[str, Any]:
    return {"id": program.id, "code": program.code, "name": program.name}


def group_ref(cohort: Cohort) -> dict[str, Any]:
    return {"id": cohort.group_id, "name": cohort.group_name, "educationLang": language(cohort.language)}


def semester_ref(cohort: Cohort, number: int) -> dict[str, Any]:
    return {"id": cohort.semester_id(number), "code": str(10 + number), "name": f"{number}-semestr"}


def structure_type(code: str) -> dict[str, str]:
    return {"code": code, "name": STRUCTURE_TYPES[code]}


def language(code: str) -> dict[str, str]:
    return {"code": code, "name": LANGUAGES[code]}


# --- the lists ----------------------------------------------------------------------------------
@functools.cache
def items(kind: str) -> tuple[dict[str, Any], ...]:
    """Every item of a lookup list (the same for every instance and seed), built once."""
    return tuple(_BUILDERS[kind]())


def _departments() -> list[dict[str, Any]]:
    return [department_ref(unit_id) for unit_id in UNITS]


def _specialties() -> list[dict[str, Any]]:
    return [{**specialty_ref(p), "active": True, "department": department_ref(p.faculty),
             "educationType": {"code": p.education_type, "name": EDUCATION_TYPES[p.education_type]},
             "localityType": dict(LOCALITY)} for p in PROGRAMS.values()]


def _groups() -> list[dict[str, Any]]:
    return [{"id": c.group_id, "name": c.group_name, "active": True, "department": department_ref(c.program.faculty),
             "specialty": specialty_ref(c.program), "educationLang": language(c.language),
             "_curriculum": c.curriculum} for c in COHORTS]


def _semesters() -> list[dict[str, Any]]:
    return [semester_item(c, number) for c in COHORTS for number in range(1, 2 * c.program.years + 1)]


def semester_item(cohort: Cohort, number: int) -> dict[str, Any]:
    course = (number + 1) // 2
    year = cohort.intake + course - 1
    return {**semester_ref(cohort, number), "_curriculum": cohort.curriculum, "_education_year": str(year),
            "level": {"code": str(10 + course), "name": f"{course}-kurs"},
            "current": number == 2 * cohort.level, "curriculumWeeks": weeks(cohort.semester_id(number), year, number)}


def weeks(semester_id: int, year: int, number: int) -> list[dict[str, Any]]:
    """The semester's study weeks: autumn from the first Monday of September, spring from the first
    Monday of February; each a Monday-to-Sunday span of local midnights."""
    first = _first_monday(date(year, 9, 1) if number % 2 else date(year + 1, 2, 1))
    spans = [(first + timedelta(weeks=w), first + timedelta(weeks=w, days=6)) for w in range(WEEKS_PER_SEMESTER)]
    return [{"id": semester_id * 100 + w, "current": False, "start_date": _tashkent_midnight(start),
             "end_date": _tashkent_midnight(end), "start_date_f": start.strftime("%d.%m.%Y"),
             "end_date_f": end.strftime("%d.%m.%Y")} for w, (start, end) in enumerate(spans, start=1)]


def _first_monday(day: date) -> date:
    return day + timedelta(days=-day.weekday() % 7)


def _tashkent_midnight(day: date) -> int:
    return (day - EPOCH).days * DAY_S - TASHKENT_UTC_OFFSET_S


_BUILDERS = {"departments": _departments, "specialties": _specialties, "groups": _groups, "semesters": _semesters}
