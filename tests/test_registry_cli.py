"""``locator import|export|registry``: reports, exit codes, versions, exact round trips."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from locator import create_app
from locator.cli import main
from locator.registry.importer import boundary_from_setting, prepare

HEADER = ["id", "name", "kind", "lon", "lat", "amenities", "opening_hours", "entry", "address",
          "district_code", "subdistrict_code", "community_code", "source", "datum",
          "precision_m", "verified", "synthetic", "note", "phone", "hours_text", "geocoded"]
ROWS = [
    ["a1", "城关区“东方红”驿站, 一号", "smart_station", "103.84055", "36.05282", "toilet;water",
     "24/7", "qr_code", "广场南路 6 号", "620102", "620102001", "620102001001", "工会通知",
     "wgs84", "15.5", "2024-05-01", "0", "'=HYPERLINK(\"http://x\")", "0931-8123456", "", ""],
    ["a2", "七里河区 司机之家", "drivers_home", "103.7548", "36.07333", "",
     "Mo-Fr 09:00-17:30; PH off", "", "", "", "", "", "", "wgs84", "", "", "0", "'-夜间关闭",
     "13812345678;400-820-8820", "周一至周五 9:00-17:30", ""],
    ["a3", "待定位驿站", "partner", "unknown", "unknown", "", "", "", "地址待核实", "", "", "", "",
     "wgs84", "", "", "0", "''=已加引号", "", "", ""],  # the note '=已加引号: a ' added, a ' kept;
    # "unknown" coordinates: a location nobody knows (exports write it so), not a blank
]
BAD = ["a4", "坏行", "box_station", "36.06", "103.85", "", "", "", "", "", "", "", "", "wgs84",
       "", "", "0", "", "", "", ""]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([HEADER, *rows])
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


def run(*args: str) -> tuple[int, str]:
    if args and args[0] == "import":  # reports in English here (Chinese is the default)
        args = (*args, "--lang", "en")
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def store(tmp_path: Path) -> str:
    return str(tmp_path / "store.gpkg")


def test_rejected_rows_fail_the_import_unless_partial(tmp_path: Path, store: str) -> None:
    source = write_csv(tmp_path / "r.csv", [*ROWS, BAD])
    code, out = run("import", str(source), "--store", store)
    assert code == 1
    assert "rows: 4  accepted: 3  rejected: 1" in out
    assert ("[rejected] row 5, column lon/lat, value '36.06, 103.85': longitude and latitude "
            "look swapped") in out
    assert not Path(store).exists()
    code, out = run("import", str(source), "--store", store, "--dry-run", "--allow-partial")
    assert code == 0 and "dry run: nothing written" in out and not Path(store).exists()
    code, out = run("import", str(source), "--store", store, "--allow-partial", "--user", "王")
    assert code == 0 and "stored as version 2" in out  # 1 is the registry served before it
    code, out = run("registry", "history", "--store", store)
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("*2"))
    # 4 rows, 1 rejected; the version holds the 3 accepted and the 12 documented stations
    # served before it (the 300 demonstration ones are never merged with real ones)
    assert line.split()[2:6] == ["王", "4", "15", "1"] and line.endswith("r.csv")


def test_unreadable_file_exits_2_naming_it(tmp_path: Path, store: str) -> None:
    path = tmp_path / "bad.geojson"
    path.write_bytes(b"<OGRVRTDataSource/>")
    code, out = run("import", str(path), "--store", store)
    assert code == 2 and "bad.geojson: GDAL VRT content refused" in out


def test_csv_round_trip_is_exact_and_neutralised(tmp_path: Path, store: str) -> None:
    source = write_csv(tmp_path / "r.csv", ROWS)
    assert run("import", str(source), "--store", store, "--mode", "replace")[0] == 0
    out = tmp_path / "out.csv"
    code, _ = run("export", "--format", "csv", "-o", str(out), "--store", store)
    assert code == 0
    assert out.read_bytes() == source.read_bytes()  # every field, Chinese text, byte for byte
    exported = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    note = HEADER.index("note")
    assert exported[1][note].startswith("'=") and exported[2][note] == "'-夜间关闭"


@given(st.text(max_size=12))
def test_neutralise_and_unquote_are_inverse_for_any_text(text: str) -> None:
    from locator.files.formulas import FORMULA_START, neutralise, unquote_formula

    cell = neutralise(text)
    assert unquote_formula(cell) == text
    assert not cell or cell[0] not in FORMULA_START  # nothing a spreadsheet would run


def test_xlsx_round_trip_keeps_every_field(tmp_path: Path, store: str) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    source = tmp_path / "r.xlsx"
    book.save(source)
    assert run("import", str(source), "--store", store, "--mode", "replace")[0] == 0
    out = tmp_path / "out.xlsx"
    assert run("export", "--format", "xlsx", "-o", str(out), "--store", store)[0] == 0
    sheet_out = load_workbook(out, read_only=True).worksheets[0]
    cells = [["" if v is None else str(v) for v in r] + [""] * (len(HEADER) - len(r))
             for r in sheet_out.iter_rows(values_only=True)]  # (trailing blanks not stored)
    assert cells[0] == HEADER
    for got, want in zip(cells[1:], ROWS, strict=True):
        assert [g.replace(".0", "") if g.endswith(".0") else g for g in got] == [
            w.replace(".0", "") if w.endswith(".0") else w for w in want]
    area = boundary_from_setting(None)
    again = prepare(out, boundary=area)
    first = prepare(source, boundary=area)
    assert again.stations == first.stations and again.rejected == 0


def test_geojson_and_gpkg_exports_reimport_identically(tmp_path: Path, store: str) -> None:
    source = write_csv(tmp_path / "r.csv", ROWS)
    run("import", str(source), "--store", store, "--mode", "replace")
    code, out = run("export", "--format", "geojson", "--store", store)
    assert code == 0 and json.loads(out)["type"] == "FeatureCollection"
    (tmp_path / "e.geojson").write_text(out, encoding="utf-8")
    run("export", "--format", "gpkg", "-o", str(tmp_path / "e.gpkg"), "--store", store)
    area = boundary_from_setting(None)
    original = prepare(source, boundary=area).stations
    assert prepare(tmp_path / "e.geojson", boundary=area).stations == original
    assert prepare(tmp_path / "e.gpkg", boundary=area).stations == original
    code, out = run("export", "--format", "xlsx", "--store", store)
    assert code == 2 and "--output" in out


def test_rollback_check_and_the_app_serving_the_store(tmp_path: Path, store: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    run("import", str(write_csv(tmp_path / "one.csv", ROWS)), "--store", store)
    run("import", str(write_csv(tmp_path / "two.csv", ROWS[:1])), "--store", store,
        "--mode", "replace")
    code, out = run("registry", "check", "--store", store)
    assert code == 0 and "version 3, 1 stations; 0 problems" in out
    app = create_app({"TESTING": True, "STORE": store})
    assert [s.id for s in app.extensions["locator"].stations] == ["a1"]
    report = app.test_client().get("/api/v1/registry/report").get_json()
    assert report["files"] == ["two.csv (store version 3)"]
    code, out = run("registry", "rollback", "--store", store)
    assert code == 0 and "version 2 (one.csv, 15 stations) is active again" in out
    monkeypatch.setenv("LOCATOR_STORE", store)
    app = create_app({"TESTING": True})
    ids = [s.id for s in app.extensions["locator"].stations]
    assert ids[-3:] == ["a1", "a2", "a3"] and len(ids) == 15  # merged into the 12 news records
    code, out = run("registry", "history")
    assert "rollback → version 2" in out


def test_a_running_app_notices_imports_by_other_processes(tmp_path: Path, store: str) -> None:
    run("import", str(write_csv(tmp_path / "one.csv", ROWS)), "--store", store,
        "--mode", "replace")
    app = create_app({"TESTING": True, "STORE": store, "REGISTRY_POLL_SECONDS": 0.001})
    client = app.test_client()
    assert len(app.extensions["locator"].stations) == 3
    run("import", str(write_csv(tmp_path / "two.csv", ROWS[:2])), "--store", store,
        "--mode", "replace")
    client.get("/api/v1/registry/report")  # the first request after the change swaps it in
    report = client.get("/api/v1/registry/report").get_json()
    assert report["files"] == ["two.csv (store version 3)"]
    assert [s.id for s in app.extensions["locator"].stations] == ["a1", "a2"]
    run("registry", "rollback", "--store", store)
    client.get("/")
    assert len(app.extensions["locator"].stations) == 3


def test_check_finds_stations_outside_the_current_service_area(
        tmp_path: Path, store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    far = [*ROWS[:1], ["b1", "北京站", "partner", "116.4", "39.9", *[""] * 8, "wgs84", "", "",
                       "0", "", "", "", ""]]
    monkeypatch.setenv("LOCATOR_REGISTRY_BOUNDARY", "off")
    assert run("import", str(write_csv(tmp_path / "far.csv", far)), "--store", store)[0] == 0
    monkeypatch.delenv("LOCATOR_REGISTRY_BOUNDARY")
    code, out = run("registry", "check", "--store", store)
    assert code == 1
    assert "station 'b1': outside the service area (116.4, 39.9)" in out


@pytest.mark.parametrize("fmt", ["xlsx", "gpkg"])
def test_registry_setting_serves_exported_xlsx_and_gpkg(tmp_path: Path, store: str,
                                                        fmt: str) -> None:
    run("import", str(write_csv(tmp_path / "r.csv", ROWS)), "--store", store, "--mode", "replace")
    out = tmp_path / f"served.{fmt}"
    assert run("export", "--format", fmt, "-o", str(out), "--store", store)[0] == 0
    app = create_app({"TESTING": True, "REGISTRY": str(out)})
    registry = app.extensions["locator"]
    assert [s.id for s in registry.stations] == ["a1", "a2", "a3"]
    assert registry.report.problems == ()
    assert registry.stations[0].note == '=HYPERLINK("http://x")'  # the export's guard undone
