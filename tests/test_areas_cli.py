"""``locator areas import|list|remove``, then coverage and the planner at subdistrict level."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from shapely.geometry import box, mapping

from locator import create_app
from locator.cli import main
from locator.planning.exports import read_units_csv

X0, Y0 = 103.86, 36.06  # 城关区


def areas_file(path: Path, names: list[str]) -> Path:
    """Side-by-side 0.03° × 0.04° boxes named ``names``, west to east."""
    features = [{"type": "Feature", "properties": {"名称": name},
                 "geometry": mapping(box(X0 - 0.03 + 0.03 * i, Y0 - 0.02,
                                         X0 + 0.03 * i, Y0 + 0.02))}
                for i, name in enumerate(names)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def areas_env(tmp_path: Path) -> dict[str, str]:
    return {"LOCATOR_AREAS_DIR": str(tmp_path / "areas")}


def run(args: list[str], env: dict[str, str]) -> Any:
    return CliRunner().invoke(main, args, env=env)


def test_import_list_remove(tmp_path: Path, areas_env: dict[str, str]) -> None:
    src = areas_file(tmp_path / "jd.geojson", ["五泉街道", "东岗"])
    stored = tmp_path / "areas" / "subdistrict.geojson"
    dry = run(["areas", "import", str(src), "--level", "subdistrict", "--dry-run"], areas_env)
    assert dry.exit_code == 0, dry.output
    assert "2 subdistrict polygons accepted" in dry.output and "dry run" in dry.output
    assert "matched 东岗街道 (620102015) by normalised name" in dry.output
    assert not stored.exists()
    done = run(["areas", "import", str(src), "--level", "subdistrict"], areas_env)
    assert done.exit_code == 0 and stored.is_file()
    listed = run(["areas", "list"], areas_env)
    assert "subdistrict: 2 polygons from jd.geojson" in listed.output
    assert run(["areas", "remove", "--level", "subdistrict"], areas_env).exit_code == 0
    assert not stored.exists()
    assert "no subdistrict or community" in run(["areas", "list"], areas_env).output


def test_rejected_rows_store_nothing_unless_allowed(tmp_path: Path,
                                                    areas_env: dict[str, str]) -> None:
    src = areas_file(tmp_path / "jd.geojson", ["五泉街道", "不存在街道"])
    stored = tmp_path / "areas" / "subdistrict.geojson"
    refused = run(["areas", "import", str(src), "--level", "subdistrict"], areas_env)
    assert refused.exit_code == 1 and not stored.exists()
    assert "jd.geojson row 2 column '名称'" in refused.output
    assert "nothing stored" in refused.output
    partial = run(["areas", "import", str(src), "--level", "subdistrict", "--allow-partial"],
                  areas_env)
    assert partial.exit_code == 0 and stored.is_file()


@pytest.mark.parametrize(("content", "code"), [(b"garbage\x00\x01\x02", 2), (b"", 2)])
def test_unreadable_file_exits_2(tmp_path: Path, areas_env: dict[str, str], content: bytes,
                                 code: int) -> None:
    src = tmp_path / "bad.geojson"
    src.write_bytes(content)
    result = run(["areas", "import", str(src), "--level", "community"], areas_env)
    assert result.exit_code == code and "error: bad.geojson" in result.output


def test_coverage_reports_imported_subdistricts_then_codes_without_them(
        tmp_path: Path, areas_env: dict[str, str]) -> None:
    src = areas_file(tmp_path / "jd.geojson", ["五泉街道", "东岗街道"])
    assert run(["areas", "import", str(src), "--level", "subdistrict"], areas_env).exit_code == 0
    out = tmp_path / "out"
    args = ["coverage", "--district", "620102", "--resolution", "8", "-o", str(out)]
    with_areas = run(args, areas_env)
    assert with_areas.exit_code == 0, with_areas.output
    rows = read_units_csv((out / "units.csv").read_text(encoding="utf-8"))
    assert [r["name"] for r in rows] == ["五泉街道", "东岗街道", "", "城关区"]
    assert sum(r["stations"] for r in rows[:-1]) == rows[-1]["stations"]
    assert sum(r["cells"] for r in rows[:-1]) == rows[-1]["cells"]
    assert "no subdistrict polygons" not in with_areas.output
    community = run([*args, "--level", "community"], areas_env)
    assert community.exit_code == 0, community.output
    assert "no community polygons were imported" in community.output
    assert "stations counted by the community code" in community.output
    assert "(no code)" in community.output


def test_planner_page_at_subdistrict_level(tmp_path: Path) -> None:
    from locator.areas.imports import prepare_areas
    from locator.areas.store import save_areas

    folder = tmp_path / "areas"
    save_areas(folder, prepare_areas(areas_file(tmp_path / "jd.geojson",
                                                ["五泉街道", "东岗街道"]), level="subdistrict"))
    app = create_app({"TESTING": True, "PLANNER_RESOLUTION": 7, "AREAS_DIR": str(folder)})
    client = app.test_client()
    html = client.get("/planner/?area=620102&n=0").get_data(as_text=True)
    body = html[html.index('class="plan-units"'):html.index("</table>",
                                                             html.index('class="plan-units"'))]
    assert "五泉街道" in body and "东岗街道" in body and 'class="plan-codes"' not in html
    html = client.get("/planner/?area=620102&n=0&level=community&lang=en").get_data(
        as_text=True)
    assert 'class="plan-codes" data-level="community"' in html
    assert "area coverage is not available at this level" in html
    csv_text = client.get("/planner/units.csv?area=620102&n=0&level=subdistrict").get_data(
        as_text=True)
    assert [r["name"] for r in read_units_csv(csv_text)][:2] == ["五泉街道", "东岗街道"]


def test_api_coverage_by_level(tmp_path: Path) -> None:
    from locator.areas.imports import prepare_areas
    from locator.areas.store import save_areas

    folder = tmp_path / "areas"
    app = create_app({"TESTING": True, "AREAS_DIR": str(folder)})
    client = app.test_client()
    url = "/api/v1/coverage?district=620102&resolution=7&level=subdistrict"
    before = client.get(url).get_json()
    assert before["polygons"] is False and before["units"] == []
    assert {"code": "", "name": "", "level": "subdistrict", "known": False}.items() <= \
        before["code_counts"][-1].items()
    save_areas(folder, prepare_areas(areas_file(tmp_path / "jd.geojson",
                                                ["五泉街道", "东岗街道"]), level="subdistrict"))
    after = client.get(url).get_json()
    assert after["polygons"] is True and "code_counts" not in after
    assert [u["name"] for u in after["units"]] == ["五泉街道", "东岗街道", ""]
    assert sum(u["stations"] for u in after["units"]) == after["stations"]
    bad = client.get("/api/v1/coverage?level=street")
    assert bad.status_code == 400 and bad.get_json()["error"]["param"] == "level"


def test_files_over_the_import_limit_are_refused(tmp_path: Path,
                                                 areas_env: dict[str, str]) -> None:
    src = areas_file(tmp_path / "jd.geojson", ["五泉街道"])
    env = {**areas_env, "LOCATOR_IMPORT_MAX_BYTES": "100"}
    result = run(["areas", "import", str(src), "--level", "subdistrict"], env)
    assert result.exit_code == 2 and "limit is 100" in result.output
