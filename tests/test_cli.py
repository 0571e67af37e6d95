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


@pytest.mark.parametrize(("args", "message"), [
    (["nearest", "--lat", "99", "--lon", "103"], "--lat"),
    (["nearest", "--lat", "36", "--lon", "103", "-k", "0"], "-k"),
    (["nearest", "--lon", "103"], "--lat"),
])
def test_bad_arguments_are_named(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and message in result.output
