"""The words of import reports: one English template per problem code, rendered in any language.

The library reports structured problems (:class:`~locator.files.problems.Problem` with a
``code`` and ``params``); the upload page renders them with Flask-Babel's ``gettext`` and
the command line with the same catalogue loaded by Babel (:func:`cli_gettext`), so a
union office reads every reason in Chinese by default. Templates are marked with
:func:`~locator.model.N_` so ``make messages`` extracts them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from locator import resources
from locator.files.problems import Problem, RowError
from locator.model import N_

__all__ = ["FIELD_LABELS", "LEVEL_LABELS", "MESSAGES", "SEVERITY_LABELS", "Gettext",
           "cli_gettext", "english", "problem_line", "render", "render_problem", "row_error",
           "warning"]

Gettext = Callable[[str], str]

MESSAGES: dict[str, str] = {
    # rejections
    "required": N_("a value is required"),
    "not_text": N_("must be text"),
    "too_long": N_("is %(length)s characters long; the limit is %(limit)s"),
    "control_character": N_("contains the control character %(char)s at character "
                            "%(position)s: remove it"),
    "direction_control": N_("contains the invisible direction control %(char)s (%(name)s) at "
                            "character %(position)s: it makes text show in another order than "
                            "it is stored; remove it"),
    "not_number": N_("must be a number"),
    "full_width_digits": N_("full-width characters in a number: retype it with the digits 0-9"),
    "not_finite": N_("must be a finite number"),
    "negative": N_("must be a number of 0 or more"),
    "out_of_range": N_("out of range: must lie within ±%(limit)s"),
    "coordinate_missing": N_("the other coordinate is given but this one is missing"),
    "swapped": N_("longitude and latitude look swapped: the point lies in the service area "
                  "only with them exchanged"),
    "outside_area": N_("outside the service area"),
    "bad_geometry": N_("bad geometry: %(detail)s"),
    "unknown_kind": N_("unknown kind; did you mean %(suggestion)s?"),
    "unknown_kind_nohint": N_("unknown kind; accepted: %(accepted)s"),
    "unknown_entry": N_("unknown entry method; accepted: %(accepted)s"),
    "unknown_datum": N_("unknown coordinate system; accepted: %(accepted)s"),
    "bad_date": N_("must be a date such as 2026-05-01"),
    "bad_bool": N_("must be yes or no (是/否, true/false)"),
    "duplicate_id": N_("duplicate id: row %(first)s has it too"),
    "duplicate_content": N_("same name and address as row %(first)s, and the file has no id "
                            "column to tell them apart"),
    "no_location": N_("no coordinates, and no address or administrative unit to place the "
                      "station by"),
    "example_row": N_("an example row of the template: delete it before importing"),
    "row_cells": N_("the row has %(cells)s cells but the header has %(columns)s"),
    "bad_feature": N_("must be a GeoJSON Feature with a Point or null geometry"),
    "row_unreadable": N_("row not readable: %(detail)s"),
    # kept with a warning
    "hours_unknown": N_("opening hours not understood: kept as written, shown as unknown"),
    "amenity_unknown": N_("unknown amenity %(item)s (kept in the note); did you mean "
                          "%(suggestion)s?"),
    "amenity_unknown_nohint": N_("unknown amenity %(item)s (kept in the note)"),
    "phone_invalid": N_("%(item)s is not a Chinese landline, mobile, 400/800 or 12xxx number "
                        "(kept in the note)"),
    "phone_area_code": N_("%(item)s has no area code: Lanzhou's 0931 was assumed"),
    "admin_unknown": N_("no %(level)s of that name in Lanzhou; did you mean %(candidates)s?"),
    "admin_unknown_nohint": N_("no %(level)s of that name in Lanzhou"),
    "admin_ambiguous": N_("%(count)s units of that name (%(candidates)s): give its district or "
                          "subdistrict too"),
    "admin_outside_parent": N_("%(name)s lies in %(actual)s, not in %(named)s"),
    "admin_mismatch": N_("the point lies in %(found)s, not in %(named)s: %(distance_km)s km "
                         "from it"),
    "address_disagrees": N_("the address names %(address_unit)s but the unit columns say "
                            "%(column_unit)s: placed by the unit columns"),
    "placed_by_address": N_("no coordinates: placed at the representative point of %(unit)s "
                            "(%(level)s), about ±%(precision_km)s km"),
    # about the file
    "column_ignored": N_("column ignored: not a registry field (give a mapping to use it)"),
}

#: one report line, as the command line prints it
LINE = N_("row %(row)s, column %(column)s, value %(value)s: %(reason)s")
LINE_NO_COLUMN = N_("row %(row)s, value %(value)s: %(reason)s")
LINE_FILE = N_("the file: %(reason)s")
SEVERITY_LABELS: dict[str, str] = {"error": N_("rejected"), "warning": N_("warning"),
                                   "notice": N_("note")}

#: station fields as a preview of changes names them
FIELD_LABELS: dict[str, str] = {
    "location": N_("location"), "name": N_("name"), "kind": N_("kind"),
    "amenities": N_("amenities"), "opening_hours": N_("opening hours"), "entry": N_("entry"),
    "address": N_("address"), "district_code": N_("district"),
    "subdistrict_code": N_("subdistrict"), "community_code": N_("community"),
    "source": N_("source"), "datum": N_("datum given in"), "precision_m": N_("precision"),
    "verified": N_("verified on"), "synthetic": N_("demonstration"), "note": N_("note"),
    "phone": N_("phone"), "hours_text": N_("hours as written"),
    "geocoded": N_("placed by address"),
}

#: administrative levels as report parameters, translated when rendered
LEVEL_LABELS: dict[str, str] = {
    "district": N_("district"),
    "subdistrict": N_("subdistrict"),
    "community": N_("community"),
}


def english(code: str, params: Mapping[str, Any]) -> str:
    """The English text of a problem code (what logs and stored reports keep)."""
    return MESSAGES[code] % dict(params)


def render(code: str, params: Mapping[str, Any], gettext: Gettext) -> str:
    """A problem code in the language of ``gettext`` (levels translated too)."""
    shown = {k: (gettext(LEVEL_LABELS[v]) if k == "level" and v in LEVEL_LABELS else v)
             for k, v in params.items()}
    return gettext(MESSAGES[code]) % shown


def render_problem(problem: Problem, gettext: Gettext) -> str:
    """A problem's reason in the language of ``gettext`` (its English reason if it has no
    code, as area and planner-input problems may not)."""
    if problem.code in MESSAGES:
        return render(problem.code, problem.params, gettext)
    return problem.reason


def problem_line(problem: Problem, gettext: Gettext) -> str:
    """A problem as one line of text: severity, row, the file's column, value and reason."""
    reason = render_problem(problem, gettext)
    if problem.row == 0 and not problem.column:
        text = gettext(LINE_FILE) % {"reason": reason}
    elif problem.column:
        text = gettext(LINE) % {"row": problem.row, "column": problem.column,
                                "value": problem.value, "reason": reason}
    else:
        text = gettext(LINE_NO_COLUMN) % {"row": problem.row, "value": problem.value,
                                          "reason": reason}
    return f"[{gettext(SEVERITY_LABELS.get(problem.severity, problem.severity))}] {text}"


def row_error(code: str, column: str, value: Any, **params: Any) -> RowError:
    """A rejection of ``column``'s ``value``, with its English reason filled in."""
    return RowError(column, value, english(code, params), code=code, params=params)


def warning(code: str, column: str, value: Any, **params: Any) -> RowError:
    """A warning about ``column``'s ``value``: the row is kept."""
    return RowError(column, value, english(code, params), code=code, params=params,
                    severity="warning")


def cli_gettext(locale: str) -> Gettext:
    """``gettext`` of the package's compiled catalogue for ``locale`` (``en``: identity).

    The command line has no request to take a language from; it uses the configured default
    (``BABEL_DEFAULT_LOCALE``, Chinese) unless told otherwise. A missing catalogue (not yet
    compiled) falls back to English rather than failing.
    """
    from babel.support import NullTranslations, Translations

    if locale.lower().startswith("en"):
        return NullTranslations().gettext
    folder = resources.geodata_dir().parent / "translations"
    found = Translations.load(str(folder), [locale, locale.split("_")[0]], domain="messages")
    return found.gettext
