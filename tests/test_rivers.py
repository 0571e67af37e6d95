"""The Yellow River: results whose straight line crosses it are flagged, on every surface."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from locator import create_app
from locator.model import Kind, Station
from locator.stations.nearest import NearestIndex
from locator.stations.rivers import River, yellow_river
from locator.stations.travel import TravelModel

# (from lon, lat) → (to lon, lat), flagged?  The shipped line runs ~11 km along the
# 七里河区 (south) / 安宁区 (north) boundary, 103.673–103.780° E, at 36.08–36.10° N.
PAIRS = [
    ((103.700, 36.100), (103.700, 36.070), True),   # 安宁 → 七里河, straight across
    ((103.750, 36.100), (103.760, 36.072), True),
    ((103.690, 36.100), (103.780, 36.070), True),   # a long diagonal across
    ((103.760, 36.072), (103.750, 36.100), True),   # and back: the same crossing
    ((103.720, 36.100), (103.750, 36.105), False),  # both on the north bank
    ((103.720, 36.070), (103.760, 36.065), False),  # both on the south bank
    ((103.700, 36.100), (103.700, 36.100), False),  # the same point
    # beyond the line's ends nothing is detected (documented: no line there)
    ((103.600, 36.120), (103.600, 36.090), False),  # 西固 reach
    ((103.830, 36.070), (103.830, 36.060), False),  # 城关 reach
]


@pytest.mark.parametrize(("origin", "target", "crosses"), PAIRS)
def test_point_pairs_on_opposite_banks_are_flagged(origin: tuple[float, float],
                                                   target: tuple[float, float],
                                                   crosses: bool) -> None:
    river = yellow_river()
    assert river.crosses(*origin, [target[0]], [target[1]]).tolist() == [crosses]


def test_many_targets_at_once_match_one_at_a_time() -> None:
    river = yellow_river()
    rng = np.random.default_rng(15)
    lon, lat = rng.uniform(103.66, 103.79, 200), rng.uniform(36.06, 36.12, 200)
    together = river.crosses(103.72, 36.10, lon, lat)
    alone = [bool(river.crosses(103.72, 36.10, [x], [y])[0]) for x, y in zip(lon, lat,
                                                                           strict=True)]
    assert together.tolist() == alone and 0 < together.sum() < 200


def test_a_hand_made_river_crosses_where_geometry_says() -> None:
    river = River("test", np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.0, 0.0]))
    assert river.crosses(0.5, 1.0, [0.5, 0.5, 1.75], [-1.0, 0.5, -1.0]).tolist() == [
        True, False, True]
    assert river.crosses(2.8, 1.0, [3.0], [-1.0]).tolist() == [False]  # past its end
    with pytest.raises(ValueError):
        River("short", np.array([0.0]), np.array([0.0]))


def _stations() -> list[Station]:
    # one station just across the river from the origin, one farther on the same bank
    return [Station(id="across", name="对岸站", kind=Kind.BOX_STATION, lon=103.700,
                    lat=36.080, source="test"),
            Station(id="same", name="同岸站", kind=Kind.BOX_STATION, lon=103.700,
                    lat=36.125, source="test")]


def test_the_index_flags_crossing_results_but_keeps_their_distance_order() -> None:
    plain = NearestIndex(_stations())
    flagged = NearestIndex(_stations(), travel=TravelModel(river=yellow_river()))
    a = plain.query(103.700, 36.1000, k=2)
    b = flagged.query(103.700, 36.1000, k=2)
    assert [h.station.id for h in a] == [h.station.id for h in b] == ["across", "same"]
    assert [h.crosses_river for h in a] == [False, False]
    assert [h.crosses_river for h in b] == [True, False]
    assert [h.distance_m for h in a] == [h.distance_m for h in b]


def _registry(tmp_path: Path) -> Path:
    import json
    features = [{"type": "Feature", "id": s.id,
                 "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                 "properties": {"id": s.id, "name": s.name, "kind": s.kind.value}}
                for s in _stations()]
    path = tmp_path / "river.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


@pytest.mark.parametrize(("lang", "note", "lower"), [
    ("zh_CN", "隔河，实际路程可能远大于直线距离", "步行至少"),
    ("en", "Across the river: the real route may be much longer", "walk at least"),
])
def test_every_surface_says_so(tmp_path: Path, lang: str, note: str, lower: str) -> None:
    app = create_app({"TESTING": True, "REGISTRY": str(_registry(tmp_path))})
    client = app.test_client()
    api: Any = client.get("/api/v1/nearest?lat=36.1&lon=103.7&k=2").get_json()
    assert [f["properties"]["crosses_river"] for f in api["features"]] == [True, False]
    page = client.get(f"/?lat=36.1&lon=103.7&k=2&lang={lang}").get_data(as_text=True)
    assert page.count(note) == 1 and lower in page
    widget = client.get(f"/embed?lat=36.1&lon=103.7&k=2&lang={lang}").get_data(as_text=True)
    assert widget.count(note) == 1 and lower in widget


def test_the_setting_turns_it_off(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "REGISTRY": str(_registry(tmp_path)),
                      "RIVER_CROSSINGS": False})
    api: Any = app.test_client().get("/api/v1/nearest?lat=36.1&lon=103.7&k=2").get_json()
    assert [f["properties"]["crosses_river"] for f in api["features"]] == [False, False]
