"""The command line answers what the API answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from locator.cli import main


def test_nearest_prints_geojson(tiny_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCATOR_REGISTRY", str(tiny_path))
    result = CliRunner().invoke(main, ["nearest", "--lat", "36.053", "--lon", "103.841", "-k", "2"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [f["id"] for f in body["features"]] == ["a", "b"]


PARITY = [
    "lat=36.053&lon=103.841",
    "lat=36.053&lon=103.841&k=3&open_at=2026-12-01T10:00",
    "lat=36.06&lon=103.83&kind=smart_station,box_station&open_at=2026-12-01T03:00",
    "lat=36.06&lon=103.83&amenity=water&max_distance=2500&open_at=2026-12-06T18:00",
    "lat=36.06&lon=103.83&only_24h=true&k=2&open_at=2026-12-01T10:00",
    "lat=36.06&lon=103.83&k=7&open_at=now",
]


@pytest.mark.parametrize("query", PARITY)
def test_nearest_prints_exactly_what_the_api_answers(tiny_path: Path, query: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The same bytes, filters and meta included, under a non-default MAX_K/DEFAULT_K."""
    from locator import create_app

    for name, value in (("REGISTRY", str(tiny_path)), ("MAX_K", "7"), ("DEFAULT_K", "4")):
        monkeypatch.setenv(f"LOCATOR_{name}", value)
    args = ["nearest"]
    for pair in query.split("&"):
        name, value = pair.split("=")
        args += [f"--{name.replace('_', '-')}", value]
    for _ in range(3):  # 'now' is read to the minute: retry across a minute boundary
        result = CliRunner().invoke(main, args)
        api = create_app({"TESTING": True}).test_client().get(f"/api/v1/nearest?{query}")
        if result.output.encode() == api.data:
            break
    assert result.exit_code == 0, result.output
    assert api.status_code == 200
    assert result.output.encode() == api.data


@pytest.mark.parametrize(("args", "message"), [
    (["nearest", "--lat", "99", "--lon", "103"], "--lat"),
    (["nearest", "--lat", "36", "--lon", "103", "-k", "0"], "-k"),
    (["nearest", "--lon", "103"], "--lat"),
    (["nearest", "--lat", "36", "--lon", "103", "-k", "51"], "between 1 and 50"),
    (["nearest", "--lat", "36", "--lon", "103", "--kind", "box"], "did you mean 'box_station'"),
    (["nearest", "--lat", "36", "--lon", "103", "--only-24h", "maybe"], "true or false"),
])
def test_bad_arguments_are_named(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and message in result.output
