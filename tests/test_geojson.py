"""GeoJSON of stations and nearest results: by-hand cases, and the caches never leak state."""

from __future__ import annotations

from datetime import UTC, datetime

from locator.model import Amenity, Kind, Station
from locator.stations.geojson import (
    hit_feature,
    hits_collection,
    station_feature,
    station_properties,
)
from locator.stations.query import Hit

MON_2130 = datetime(2026, 11, 30, 21, 30)  # a Monday, Lanzhou local time


def station(i: int, **kw: object) -> Station:
    return Station(id=f"s{i}", name=f"站{i}", kind=Kind.BOX_STATION, lon=103.8405501234,
                   lat=36.05282, **kw)  # type: ignore[arg-type]


def test_station_feature_by_hand() -> None:
    feature = station_feature(station(1, amenities=frozenset({Amenity.WIFI, Amenity.WATER})))
    assert feature["type"] == "Feature" and feature["id"] == "s1"
    assert feature["geometry"] == {"type": "Point", "coordinates": [103.8405501, 36.05282]}
    assert feature["properties"]["kind"] == "box_station"
    assert feature["properties"]["amenities"] == ["water", "wifi"]  # sorted by value


def test_unlocated_station_has_null_geometry() -> None:
    unlocated = Station(id="u", name="无坐标", kind=Kind.BOX_STATION, lon=None, lat=None)
    feature = station_feature(unlocated)
    assert feature["geometry"] is None


def test_callers_get_their_own_lists() -> None:
    # amenity lists come from a shared cache: changing one answer must not change the next
    s = station(2, amenities=frozenset({Amenity.TOILET}))
    first = station_properties(s)
    first["amenities"].append("changed")
    assert station_properties(s)["amenities"] == ["toilet"]
    assert station_feature(s)["properties"]["amenities"] == ["toilet"]


def test_hit_feature_adds_distances_and_the_open_state_at_a_local_minute() -> None:
    s = station(3, opening_hours="Mo-Fr 09:00-22:00")
    props = hit_feature(Hit(s, 1234.56, 15.43, 4.66), at=MON_2130)["properties"]
    assert (props["distance_m"], props["walk_min"], props["ebike_min"]) == (1234.6, 15.4, 4.7)
    assert props["open_state"] == "open"
    assert props["next_change"] == "2026-11-30T22:00:00+08:00"
    # seconds never change the answer; an aware time is converted to Lanzhou time first
    later = hit_feature(Hit(s, 1.0, 0.0, 0.0), at=MON_2130.replace(second=59))["properties"]
    assert later["next_change"] == props["next_change"]
    utc = datetime(2026, 11, 30, 13, 30, tzinfo=UTC)  # 21:30 in Lanzhou
    assert hit_feature(Hit(s, 1.0, 0.0, 0.0), at=utc)["properties"]["open_state"] == "open"


def test_station_without_hours_is_unknown_and_never_changes() -> None:
    props = hit_feature(Hit(station(4), 1.0, 0.0, 0.0), at=MON_2130)["properties"]
    assert (props["open_state"], props["next_change"]) == ("unknown", None)


def test_collection_keeps_order_and_meta() -> None:
    hits = [Hit(station(i), float(i), 0.0, 0.0) for i in (2, 1)]
    body = hits_collection(hits, meta={"returned": 2})
    assert [f["id"] for f in body["features"]] == ["s2", "s1"]
    assert "open_state" not in body["features"][0]["properties"]  # no time given
    assert body["meta"] == {"returned": 2}
