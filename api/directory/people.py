"""The routes of a list of people (students, employees), declared once for both:

    GET /<people>              a page of the filtered list (`api.directory.filters`), by name then id
    GET /<people>.csv|.xlsx    the same filter as a download (`api.directory.export`)
    GET /<people>/<id>         one row, with every row of the same person in the organization

ADMIN and MANAGER read their organization, a SUPERADMIN the one `organizationId` names; an
EMPLOYEE is refused (403). Another organization's row is 404, as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from api.auth.access import READER
from api.auth.roles import OrganizationQuery
from api.directory import listing
from api.directory.filters import PagedFilter, PersonFilter
from api.directory.records import Shape
from api.directory.schemas import detail_model, downloads, page_model
from api.http.endpoint import endpoint
from api.openapi.common import ok


@dataclass(frozen=True)
class People:
    plural: str  # the path, the JSON key of a page, the download's name: "students"
    singular: str  # the JSON key of one record: "student"
    siblings: str  # the JSON key of the person's rows: "enrolments"
    title: str  # the spreadsheet's: "Students"
    listed: Shape  # what a list and the person's rows show
    record: Shape  # what one record shows
    filter: type[PersonFilter]
    query: type[PagedFilter]


def blueprint(people: People) -> Blueprint:
    bp = Blueprint(people.plural, __name__)
    prefix = f"Directory{people.singular.capitalize()}"
    item = people.listed.response_model(prefix)
    page = page_model(f"{prefix}Page", people.plural, item)
    detail = detail_model(f"{prefix}Detail", {people.singular: people.record.response_model(f"{prefix}Record"),
                                              people.siblings: list[item]})  # type: ignore[valid-type]
    csv_doc, xlsx_doc = downloads(f"The {people.plural}")

    @endpoint(auth=READER, query=people.query, responses={200: ok(page)},
              summary=f"A page of the organization's {people.plural}")
    def list_page(query: PagedFilter) -> ResponseReturnValue:
        return jsonify(listing.page(people.listed, query, people.plural))

    @endpoint(auth=READER, query=people.filter, responses=csv_doc, summary=f"The {people.plural} as CSV")
    def csv_file(query: PersonFilter) -> ResponseReturnValue:
        return listing.csv_download(people.listed, query, people.plural)

    @endpoint(auth=READER, query=people.filter, responses=xlsx_doc, summary=f"The {people.plural} as XLSX")
    def xlsx_file(query: PersonFilter) -> ResponseReturnValue:
        return listing.xlsx_download(people.listed, query, people.plural, people.title)

    @endpoint(auth=READER, query=OrganizationQuery, responses={200: ok(detail)},
              summary=f"One {people.singular}, with every row of the same person ({people.siblings})")
    def one(record_id: int, query: OrganizationQuery) -> ResponseReturnValue:
        found, siblings = listing.record(people.record, people.listed, record_id, people.singular.capitalize())
        return jsonify({"success": True, people.singular: found, people.siblings: siblings})

    bp.add_url_rule(f"/{people.plural}", "list", list_page, methods=["GET"])
    bp.add_url_rule(f"/{people.plural}.csv", "csv", csv_file, methods=["GET"])
    bp.add_url_rule(f"/{people.plural}.xlsx", "xlsx", xlsx_file, methods=["GET"])
    bp.add_url_rule(f"/{people.plural}/<int:record_id>", "one", one, methods=["GET"])
    return bp
