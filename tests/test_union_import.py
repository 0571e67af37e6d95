"""A union office's spreadsheet, end to end: GB18030 CSV and XLSX with Chinese headers, mixed
datums, no id column, rows with only an address — through ``locator import`` and the upload
page, then out of the API; and the bad sheets (empty, headers only, duplicate ids, 10,000
rows with 3 bad ones).

Coordinates are checked against an *independent* conversion: the file's GCJ-02 and BD-09
values are made from known WGS-84 points with PyPI ``prcoords`` (not ``locator.geo.datum``),
and the API must give the WGS-84 points back within 0.5 m (geographiclib).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import prcoords
import pytest
from click.testing import CliRunner
from flask import Flask
from geographiclib.geodesic import Geodesic
from openpyxl import Workbook

from locator import create_app
from locator.cli import main
from locator.registry.store import open_store
from tests.accounts_util import make_users, sign_in

# the union's sheet, as a district office keeps it: no id column at all
HEADERS = ["驿站名称", "类型", "地址", "经度", "纬度", "坐标系", "开放时间", "所属区县", "所属街道",
           "设施", "联系电话"]
# name → (true WGS-84 lon, lat), datum written in the sheet ("" = the upload's choice, GCJ-02)
TRUTH: dict[str, tuple[float, float, str]] = {
    "东岗驿站": (103.8905, 36.0530, "高德"),
    "雁滩驿站": (103.8800, 36.0700, "百度"),
    "西站驿站": (103.7660, 36.0790, "GPS"),
    "小西湖驿站": (103.7950, 36.0720, ""),
}
PLACED = {"雁南零工驿站": "城关区雁南街道南河社区", "敦煌路爱心驿站": "兰州市七里河区敦煌路569号"}


def sheet_rows() -> list[list[str]]:
    rows: list[list[str]] = []
    for i, (name, (lon, lat, datum)) in enumerate(TRUTH.items()):
        if datum in ("高德", ""):
            point = prcoords.wgs_gcj((lat, lon))
        elif datum == "百度":
            point = prcoords.wgs_bd((lat, lon))
        else:
            point = prcoords.Coords(lat, lon)
        kind = "户外劳动者服务站" if i % 2 else "24小时智能化工会驿站"
        rows.append([name, kind, f"城关区 {name}",
                     f"{point.lon:.8f}", f"{point.lat:.8f}", datum,
                     ["24小时", "周一至周五 9:00-17:30，节假日休息"][i % 2], "城关区", "",
                     "饮用水、手机充电", "0931-8123456、138 1234 5678"])
    for name, address in PLACED.items():
        rows.append([name, "爱心驿站", address, "", "", "", "8:00—20:00", "", "", "卫生间",
                     "13912345678"])
    return rows


def gb18030_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([HEADERS, *rows])
    return out.getvalue().encode("gb18030")


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "驿站名录"
    for row in [HEADERS, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2)["s12"])


def check_served(app: Flask) -> None:
    """The API gives every station of the sheet back: WGS-84 within 0.5 m of the truth,
    address-only ones with their precision, phones as entered."""
    features = app.test_client().get("/api/v1/stations?limit=500").get_json()["features"]
    ours = {f["properties"]["name"]: f for f in features
            if f["properties"]["name"] in TRUTH or f["properties"]["name"] in PLACED}
    assert set(ours) == set(TRUTH) | set(PLACED)
    for name, (lon, lat, _datum) in TRUTH.items():
        got = ours[name]["geometry"]["coordinates"]
        assert metres(got[0], got[1], lon, lat) < 0.5, name
        props = ours[name]["properties"]
        assert props["phones"] == ["0931-8123456", "13812345678"]
        assert props["id"].startswith("auto-") and props["geocoded"] is None
    for name in PLACED:
        props = ours[name]["properties"]
        assert props["geocoded"] == "district" and props["precision_m"] > 3000
        assert ours[name]["geometry"] is not None and props["phones"] == ["13912345678"]


def test_gb18030_csv_through_the_cli(tmp_path: Path) -> None:
    source = tmp_path / "驿站名录.csv"
    source.write_bytes(gb18030_csv(sheet_rows()))
    store = str(tmp_path / "s.gpkg")
    result = CliRunner().invoke(main, ["import", str(source), "--datum", "gcj02", "--store", store])
    assert result.exit_code == 0, result.output
    assert "共 6 行：接受 6 行，拒绝 0 行，有警告 3 行" in result.output  # Chinese by default
    # 西站驿站 is said to be in 城关区 but its point is in 七里河区, 1.0 km from 城关区
    assert "坐标位于七里河区，不在所填的城关区：距其约 1.0 公里" in result.output
    assert "坐标系：bd09 1, gcj02 2, wgs84 1；按地址定位：2 行" in result.output
    assert "已保存为" in result.output and "第 2 版" in result.output
    app = create_app({"TESTING": True, "STORE": store})
    check_served(app)
    again = CliRunner().invoke(main, ["import", str(source), "--datum", "gcj02", "--store", store])
    assert again.exit_code == 0  # the same file again (merge): same ids, nothing added twice
    opened = open_store(store)
    try:
        assert len(opened.stations(3)) == len(opened.stations(2)) == 12 + 6
    finally:
        opened.close()


def test_gb18030_csv_reimported_keeps_its_ids(tmp_path: Path) -> None:
    """A file without ids imported twice, rows reordered: same ids, nothing added twice."""
    store = str(tmp_path / "s.gpkg")
    rows = sheet_rows()
    for order in (rows, rows[::-1]):
        source = tmp_path / "r.csv"
        source.write_bytes(gb18030_csv(order))
        result = CliRunner().invoke(main, ["import", str(source), "--datum", "gcj02",
                                           "--store", store, "--mode", "replace"])
        assert result.exit_code == 0, result.output
    opened = open_store(store)
    try:
        first, second = opened.stations(2), opened.stations(3)
    finally:
        opened.close()
    assert sorted(s.id for s in first) == sorted(s.id for s in second)
    assert len({s.id for s in second}) == len(rows)


@pytest.fixture
def editor_app(tmp_path: Path) -> Flask:
    return create_app({"TESTING": True, "STORE": str(tmp_path / "s.gpkg"),
                       "USERS_DB": str(make_users(tmp_path / "users.sqlite"))})


def test_xlsx_through_the_upload_page(editor_app: Flask) -> None:
    client = editor_app.test_client()
    csrf = sign_in(client, "editor")
    rows: list[list[Any]] = [[float(c) if i in (3, 4) and c else c for i, c in enumerate(row)]
                             for row in sheet_rows()]  # Excel stores numbers as numbers
    page = client.post("/admin/registry/preview", content_type="multipart/form-data", data={
        "csrf_token": csrf, "datum": "gcj02", "mode": "merge", "mapping": "",
        "file": (io.BytesIO(xlsx(rows)), "驿站名录.xlsx")})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "共 6 行：接受 6 行，拒绝 0 行。" in text
    assert "按城关区（区县）的代表点定位" in text  # the placement, in Chinese, per row
    preview = re.search(r'name="preview" value="([0-9a-f]+)"', text)
    assert preview is not None
    done = client.post("/admin/registry/commit", data={"csrf_token": csrf,
                                                       "preview": preview.group(1)})
    assert done.status_code == 302
    check_served(editor_app)
    finder = editor_app.test_client().get("/?lat=36.06&lon=103.87&k=10").get_data(as_text=True)
    assert 'href="tel:0931-8123456"' in finder
    assert "位置约 ±" in finder and "按所在区县估算" in finder


# --- bad sheets ----------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "message"), [
    (b"", "file is empty"),
    ("驿站名称,类型,经度,纬度\r\n".encode("gb18030"), "the file has a header but no rows"),
])
def test_an_empty_sheet_and_a_sheet_with_only_headers_are_refused(tmp_path: Path, data: bytes,
                                                                  message: str) -> None:
    source = tmp_path / "r.csv"
    source.write_bytes(data)
    result = CliRunner().invoke(main, ["import", str(source), "--store",
                                       str(tmp_path / "s.gpkg")])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "s.gpkg").exists()


def test_duplicate_ids_are_each_reported(tmp_path: Path) -> None:
    source = tmp_path / "r.csv"
    source.write_text("编号,驿站名称,类型,经度,纬度\n1,甲,箱体驿站,103.84,36.05\n"
                      "1,乙,箱体驿站,103.85,36.06\n1,丙,箱体驿站,103.86,36.06\n",
                      encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(source), "--store", str(tmp_path / "s.gpkg"),
                                       "--lang", "en"])
    assert result.exit_code == 1
    assert "row 3, column 编号, value '1': duplicate id: row 2 has it too" in result.output
    assert "row 4, column 编号, value '1': duplicate id: row 2 has it too" in result.output


def test_ten_thousand_rows_with_three_bad_ones(tmp_path: Path) -> None:
    """All three reported (every problem of each), nothing written without --allow-partial."""
    lines = ["编号,驿站名称,类型,经度,纬度,开放时间,联系电话"]
    for i in range(10_000):
        lon, lat = 103.70 + (i % 100) * 0.002, 36.03 + (i // 100) * 0.0004
        lines.append(f"z{i},驿站{i},箱体驿站,{lon:.5f},{lat:.5f},8:00-20:00,0931-8{i:06d}")
    lines[1235] = "z1234,,城堡,103.8,36.05,8:00-20:00,0931-8000000"  # no name, unknown kind
    lines[5001] = "z5000,驿站5000,箱体驿站,36.05,103.8,,"  # swapped
    lines[9999] = "z9998,驿站9998,箱体驿站,１０３.８,36.05,,"  # full-width digits
    source = tmp_path / "big.csv"
    source.write_text("\n".join(lines) + "\n", encoding="gb18030")
    store = tmp_path / "s.gpkg"
    result = CliRunner().invoke(main, ["import", str(source), "--store", str(store),
                                       "--lang", "en"])
    assert result.exit_code == 1
    assert "rows: 10000  accepted: 9997  rejected: 3" in result.output
    rejected = re.findall(r"\[rejected\] row (\d+), column ([^,]+),", result.output)
    assert rejected == [("1236", "驿站名称"), ("1236", "类型"), ("5002", "经度/纬度"),
                        ("10000", "经度")]
    assert not store.exists()
    result = CliRunner().invoke(main, ["import", str(source), "--store", str(store),
                                       "--allow-partial", "--mode", "replace"])
    assert result.exit_code == 0
    opened = open_store(store)
    try:
        assert len(opened.stations()) == 9997
    finally:
        opened.close()


def test_a_fresh_install_rolls_back_to_the_shipped_registry(tmp_path: Path) -> None:
    """The 9-row file with 2 good rows of the issue: the preview and the import compare with
    and keep what is served, and the rollback goes back to the shipped 312 stations."""
    source = tmp_path / "r.csv"
    source.write_bytes("驿站名称,类型,经度,纬度\n甲,箱体驿站,103.84,36.05\n乙,箱体驿站,103.85,36.06\n"
                       .encode("gb18030") + "丙,城堡,103.86,36.06\n".encode("gb18030") * 7)
    store = str(tmp_path / "s.gpkg")
    result = CliRunner().invoke(main, ["import", str(source), "--store", store,
                                       "--allow-partial", "--lang", "en"])
    assert result.exit_code == 0 and "stored as version 2" in result.output
    served = create_app({"TESTING": True, "STORE": store}).extensions["locator"]
    assert len(served.stations) == 12 + 2 and not served.has_synthetic
    result = CliRunner().invoke(main, ["registry", "rollback", "--store", store])
    assert result.exit_code == 0 and "version 1" in result.output
    shipped = create_app({"TESTING": True}).extensions["locator"]
    again = create_app({"TESTING": True, "STORE": store}).extensions["locator"]
    assert again.stations == shipped.stations and again.has_synthetic


def test_locator_registry_reads_the_sheet_like_an_import(tmp_path: Path) -> None:
    """LOCATOR_REGISTRY goes through the importer's readers and checks: the same GB18030 sheet
    with Chinese headers is served (rows without a 坐标系 are WGS-84 there, so the sheet
    names every datum)."""
    rows = [[*r[:5], r[5] or "高德", *r[6:]] for r in sheet_rows()]
    path = tmp_path / "驿站名录.csv"
    path.write_bytes(gb18030_csv(rows))
    app = create_app({"TESTING": True, "REGISTRY": str(path)})
    check_served(app)
    report = app.test_client().get("/api/v1/registry/report").get_json()
    assert report["rejected"] == 0 and report["placed_by_address"] == 2
    assert report["datums"] == {"bd09": 1, "gcj02": 2, "wgs84": 1}
