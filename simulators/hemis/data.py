"""Deterministic, realistic HEMIS items, generated lazily by index (23,238 students cost nothing).

Every field of the reference sample is present, with Uzbek names (U+2018 apostrophes), classifier
objects, Unix-second timestamps (negative before 1970), and the quirks of real data: some classifier
codes as ints, some ids as strings, unverified students without `student_id_number`, `phone: null`,
`avg_gpa: 0`, employees with several rows (positions) per person, and (on request) students with
a second enrolment, listed twice. Where a student studies and an employee works (faculty, kafedra,
specialty, group, semester) comes from the lookup lists of `lookups.py`, so every id is listed there.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from simulators.hemis import lookups
from simulators.hemis.lookups import BACHELOR_PROGRAMS, PROGRAMS, Cohort

UNIVERSITY = {"code": "326", "name": "Navoiy davlat konchilik va texnologiyalar universiteti"}
BASE_HOST = "https://hemis.example.uz"
MALE_FIRST = ["Abdulla", "Jasur", "Sardor", "Bekzod", "Otabek", "Dilshod", "Javohir", "Sherzod", "Aziz", "Ulug‘bek",
              "Shoxrux", "Doniyor", "Islom", "Behruz", "Asadbek"]
FEMALE_FIRST = ["Malika", "Dilnoza", "Nilufar", "Madina", "Gulnora", "Shahnoza", "Zarina", "Feruza", "Nodira",
                "Mohira", "Sevinch", "Zilola", "Oydin", "Gulruh", "Dildora"]
SURNAMES = ["Karimov", "Rahimov", "Toshmatov", "Yusupov", "Aliyev", "Ergashev", "Qodirov", "Sobirov", "Xolmatov",
            "Nazarov", "Mirzayev", "Rustamov", "Jo‘rayev", "Saidov", "G‘aniyev"]
FATHERS = ["Akmal", "Baxtiyor", "Rustam", "Shavkat", "Anvar", "Olim", "Sherali", "Farhod", "Ilhom", "Zafar"]
PROVINCES = [("1712", "Navoiy viloyati"), ("1706", "Buxoro viloyati"), ("1718", "Samarqand viloyati"),
             ("1726", "Toshkent shahri")]
STATUSES = [("11", "O‘qimoqda")] * 17 + [("12", "Chetlashgan"), ("13", "Akademik ta’tilda"), ("14", "Bitirgan")]
EDU_FORMS = [("11", "Kunduzgi")] * 4 + [("12", "Kechki"), ("13", "Sirtqi")]
EDU_TYPES = {"11": ("11", "Bakalavr"), "12": ("12", "Magistr")}
PAYMENT = [("11", "Davlat granti"), ("12", "To‘lov-shartnoma"), ("12", "To‘lov-shartnoma")]
POSITIONS = [("12", "Assistent"), ("13", "Katta o‘qituvchi"), ("14", "Dotsent"), ("15", "Professor"),
             ("16", "Kafedra mudiri"), ("34", "Tyutor")]
DEGREES = [("10", "Yo‘q"), ("11", "Fan nomzodi"), ("12", "Fan doktori"), ("13", "PhD")]
RANKS = [("10", "Yo‘q"), ("11", "Dotsent"), ("12", "Professor"), ("13", "Katta ilmiy xodim")]
EMPLOYMENT = [("11", "Asosiy ish joy"), ("12", "O‘rindosh (ichki)"), ("13", "O‘rindosh (tashqi)"),
              ("14", "Soatbay")]

STUDENT_ID_BASE = 50_000
STUDENT_META_BASE = 90_000
EMPLOYEE_ID_BASE = 1_800
EMPLOYEE_META_BASE = 7_000
ROWS_PER_EMPLOYEE_BLOCK = 6  # every block of 6 rows is 5 people; the 5th works in two places
BASE_TIME = 1_690_000_000  # 2023-07-22, when the records were "created"
DAY_S = 86_400


def _rng(seed: int, kind: str, index: int) -> random.Random:
    digest = hashlib.blake2b(f"{seed}:{kind}:{index}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def _classifier(pair: tuple[str, str], as_int: bool) -> dict[str, Any]:
    code, name = pair
    return {"code": int(code) if as_int and code.isdigit() else code, "name": name}


def _hex8(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(8))


def _names(rng: random.Random) -> tuple[dict[str, Any], str, str, str]:
    male = rng.random() < 0.5
    first = rng.choice(MALE_FIRST if male else FEMALE_FIRST)
    surname = rng.choice(SURNAMES) + ("" if male else "a")
    father = rng.choice(FATHERS) + (" o‘g‘li" if male else " qizi")
    gender = {"code": "11", "name": "Erkak"} if male else {"code": "12", "name": "Ayol"}
    return gender, first, surname, father


def _employee_department(rng: random.Random) -> dict[str, Any]:
    """A kafedra, as department-list lists it (its `parent` the faculty)."""
    return lookups.department_ref(rng.choice(lookups.ACTIVE_CHAIRS).id)


def _studies(cohort: Cohort, codes_as_int: bool) -> dict[str, Any]:
    """Where an enrolment studies, as the lookup lists list it: the faculty running its programme,
    the programme, its group, its course and its current semester (the spring one of 2024-2025)."""
    return {"department": lookups.department_ref(cohort.program.faculty),
            "specialty": lookups.specialty_ref(cohort.program),
            "group": lookups.group_ref(cohort),
            "level": _classifier((str(10 + cohort.level), f"{cohort.level}-kurs"), codes_as_int),
            "semester": lookups.semester_ref(cohort, 2 * cohort.level)}


def _tutor_group(cohort: Cohort) -> dict[str, Any]:
    return {"id": cohort.group_id, "name": cohort.group_name}


def student_id_number(index: int) -> str | None:
    """12 digits, decodable back to the index; every 97th student is unverified (no number)."""
    return None if index % 97 == 96 else f"32{index:010d}"


def index_of_student_number(number: str) -> int | None:
    return int(number[2:]) if len(number) == 12 and number.isdigit() and number.startswith("32") else None


def student(seed: int, index: int, version: int = 0) -> dict[str, Any]:
    rng = _rng(seed, "student", index)
    gender, first, surname, father = _names(rng)
    codes_as_int = index % 7 == 3  # some installations send classifier codes as ints
    older = index % 53 == 7  # a few mature students, born before 1970
    birth = (rng.randint(-3_000, -100) if older else rng.randint(10_950, 13_500)) * DAY_S
    year = rng.choice([2021, 2022, 2023, 2024])
    level = min(4, 2025 - year)
    cohort = Cohort(rng.choice(BACHELOR_PROGRAMS), level)
    created = BASE_TIME + rng.randint(0, 300) * DAY_S
    province = rng.choice(PROVINCES)
    status = rng.choice(STATUSES)
    item: dict[str, Any] = {
        "id": STUDENT_ID_BASE + index,
        "meta_id": STUDENT_META_BASE + index,
        "university": dict(UNIVERSITY),
        "full_name": f"{surname} {first} {father}".upper(),
        "short_name": f"{surname.upper()} {first[0]}. {father[0]}.",
        "first_name": first.upper(),
        "second_name": surname.upper(),
        "third_name": father.upper() if index % 41 != 5 else None,
        "gender": _classifier((gender["code"], gender["name"]), codes_as_int),
        "birth_date": birth,
        "student_id_number": student_id_number(index),
        "image": f"{BASE_HOST}/static/crop/{_hex8(rng)}.jpg",
        "image_full": f"{BASE_HOST}/static/pi/{_hex8(rng)}.jpg",
        "email": f"s{index}@student.example.uz" if index % 3 == 0 else "",
        "phone": None,
        "avg_gpa": 0,
        "avg_grade": round(rng.uniform(3.0, 5.0), 2),
        "total_credit": rng.randint(0, 240),
        "country": {"code": "UZ", "name": "O‘zbekiston"},
        "province": _classifier(province, codes_as_int),
        "district": _classifier((province[0] + "01", "Markaziy tuman"), codes_as_int),
        "terrain": {"code": "11", "name": "Shahar"},
        "citizenship": {"code": "11", "name": "O‘zbekiston Respublikasi fuqarosi"},
        "currentProvince": _classifier(province, codes_as_int) if index % 5 else None,
        "currentDistrict": None,
        "currentTerrain": None,
        "studentStatus": _classifier(status, codes_as_int),
        "_curriculum": cohort.curriculum,
        "educationForm": _classifier(rng.choice(EDU_FORMS), codes_as_int),
        "educationType": _classifier(EDU_TYPES[cohort.program.education_type], codes_as_int),
        "paymentForm": _classifier(rng.choice(PAYMENT), codes_as_int),
        "studentType": {"code": "11", "name": "Oddiy"},
        "socialCategory": {"code": "10", "name": "Boshqa"},
        "accommodation": {"code": "11", "name": "O‘z uyida"},
        "povertyLevel": {"code": "10", "name": "Mavjud emas"},
        **_studies(cohort, codes_as_int),
        "educationYear": {"code": "2024", "name": "2024-2025", "current": True},
        "year_of_enter": year,
        "roommate_count": rng.choice([None, 0, 2, 3]),
        "is_graduate": status[0] == "14",
        "total_acload": rng.randint(0, 3_000),
        "other": None,
        "created_at": created,
        "updated_at": created + rng.randint(0, 400) * DAY_S,
        "hash": hashlib.sha256(f"{seed}:{index}".encode()).hexdigest(),
        "validateUrl": f"https://student.example.uz/api/info/student?h={_hex8(rng)}",
    }
    if version:
        apply_change(item, version)
    return item


def second_enrolment(seed: int, person: int, index: int, version: int = 0) -> dict[str, Any]:
    """Student `person` enrolled a second time (a master's after, or beside, a bachelor's): the same
    person (`id`, names, id number) in a list item of its own, with its own `meta_id` and studies.
    HEMIS lists each enrolment (`e_student_meta`) as an item, and totalCount counts items
    (reference §6, open question 5)."""
    item = student(seed, person)
    rng = _rng(seed, "enrolment", index)
    as_int = person % 7 == 3
    bachelor = rng.choice(BACHELOR_PROGRAMS)
    cohort = Cohort(PROGRAMS[bachelor.key + 100], rng.choice([1, 2]))
    item.update({
        "meta_id": STUDENT_META_BASE + index,
        "studentStatus": _classifier(("11", "O‘qimoqda"), as_int),
        "_curriculum": cohort.curriculum,
        "educationForm": _classifier(EDU_FORMS[0], as_int),
        "educationType": _classifier(EDU_TYPES[cohort.program.education_type], as_int),
        "paymentForm": _classifier(rng.choice(PAYMENT), as_int),
        **_studies(cohort, as_int),
        "year_of_enter": cohort.intake,
        "is_graduate": False,
        "hash": hashlib.sha256(f"{seed}:{index}:enrolment".encode()).hexdigest(),
    })
    if version:
        apply_change(item, version)
    return item


def employee_person(row: int) -> tuple[int, int]:
    """(person index, position number) of an employee-list row."""
    block, offset = divmod(row, ROWS_PER_EMPLOYEE_BLOCK)
    return block * 5 + min(offset, 4), 1 if offset == 5 else 0


def employee_id_number(person: int) -> str:
    return f"32{person:08d}"


def index_of_employee_number(number: str) -> int | None:
    return int(number[2:]) if len(number) == 10 and number.isdigit() and number.startswith("32") else None


def rows_of_person(person: int) -> list[int]:
    block, offset = divmod(person, 5)
    first = block * ROWS_PER_EMPLOYEE_BLOCK + offset
    return [first, first + 1] if offset == 4 else [first]


def employee(seed: int, row: int, version: int = 0) -> dict[str, Any]:
    person, position = employee_person(row)
    rng = _rng(seed, "employee", person)
    gender, first, surname, father = _names(rng)
    birth = rng.randint(-9_000, 9_000) * DAY_S  # staff born from 1945 to 1994: negative before 1970
    codes_as_int = person % 7 == 2
    pos_rng = _rng(seed, "position", row)
    staff_position = pos_rng.choice(POSITIONS)
    created = BASE_TIME - rng.randint(0, 1_000) * DAY_S
    item: dict[str, Any] = {
        "id": EMPLOYEE_ID_BASE + person,
        "meta_id": EMPLOYEE_META_BASE + row,
        "full_name": f"{surname} {first} {father}".upper(),
        "short_name": f"{surname.upper()} {first[0]}. {father[0]}.",
        "first_name": first.upper(),
        "second_name": surname.upper(),
        "third_name": father.upper(),
        "employee_id_number": employee_id_number(person),
        "gender": _classifier((gender["code"], gender["name"]), codes_as_int),
        "birth_date": birth,
        "image": f"{BASE_HOST}/static/crop/{_hex8(rng)}.jpg",
        "image_full": f"{BASE_HOST}/static/pi/{_hex8(rng)}.jpg",
        "year_of_enter": rng.randint(1995, 2024),
        "specialty": rng.choice(BACHELOR_PROGRAMS).name,
        "academicDegree": _classifier(rng.choice(DEGREES), codes_as_int),
        "academicRank": _classifier(rng.choice(RANKS), codes_as_int),
        "department": _employee_department(pos_rng),
        "employmentForm": _classifier(EMPLOYMENT[0] if position == 0 else pos_rng.choice(EMPLOYMENT[1:]),
                                      codes_as_int),
        "employmentStaff": {"code": "10" if position == 0 else "13", "name": "1.00" if position == 0 else "0.50"},
        "staffPosition": _classifier(staff_position, codes_as_int),
        "employeeStatus": {"code": "11", "name": "Ishlamoqda"},
        "employeeType": {"code": "12", "name": "O‘qituvchi"},
        "contract_number": f"{pos_rng.randint(1, 999)}-K",
        "decree_number": f"{pos_rng.randint(1, 999)}-B",
        "contract_date": created,
        "decree_date": created + DAY_S,
        "tutorGroups": ([_tutor_group(pos_rng.choice(lookups.STUDENT_GROUPS))]
                        if staff_position[0] == "34" else []),
        "active": True,
        "hash": hashlib.sha256(f"{seed}:e:{row}".encode()).hexdigest(),
        "created_at": created,
        "updated_at": created + rng.randint(0, 500) * DAY_S,
    }
    if version:
        apply_change(item, version)
    return item


def apply_change(item: dict[str, Any], version: int) -> None:
    """A record edited in HEMIS: a new email and updated_at; `phone` stays null as in the list."""
    item["email"] = f"v{version}.{item['id']}@changed.example.uz"
    item["updated_at"] = BASE_TIME + 500 * DAY_S + version
