"""The directory's routes, one blueprint for `api/__init__.py` to register: each part declared here."""

from __future__ import annotations

from flask import Blueprint

from api.directory import employees, lookups, stats, students

bp = Blueprint("directory", __name__)
for part in (students.bp, employees.bp, lookups.bp, stats.bp):
    bp.register_blueprint(part)
