"""Configuration layers, start-up checks, and docs that keep up with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from locator import create_app
from locator.errors import ConfigError
from locator.web.config import DEFAULTS, DOCS

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults_then_environment_then_test_config(monkeypatch: pytest.MonkeyPatch,
                                                    tiny_path: Path) -> None:
    monkeypatch.setenv("LOCATOR_DEFAULT_K", "7")
    monkeypatch.setenv("LOCATOR_MAX_K", "20")
    monkeypatch.setenv("LOCATOR_REGISTRY", str(tiny_path))
    app = create_app({"TESTING": True, "MAX_K": 30})
    assert app.config["DEFAULT_K"] == 7  # environment over defaults
    assert app.config["MAX_K"] == 30  # test config over environment
    assert app.config["WALK_KMH"] == DEFAULTS["WALK_KMH"]
    assert len(app.extensions["locator"].stations) == 5  # LOCATOR_REGISTRY served


def test_instance_file_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flask import Flask

    from locator.web import config

    (tmp_path / "config.py").write_text("DEFAULT_K = 9\nEBIKE_KMH = 18.0\n", encoding="utf-8")
    app = Flask("x", instance_path=str(tmp_path), instance_relative_config=True)
    monkeypatch.setenv("LOCATOR_EBIKE_KMH", "20.0")
    config.load(app)
    assert app.config["DEFAULT_K"] == 9 and app.config["EBIKE_KMH"] == 20.0


def test_center_from_environment_text(monkeypatch: pytest.MonkeyPatch, tiny_path: Path) -> None:
    monkeypatch.setenv("LOCATOR_DEFAULT_CENTER", "103.7,36.1")
    app = create_app({"TESTING": True, "REGISTRY": str(tiny_path)})
    assert app.config["DEFAULT_CENTER"] == (103.7, 36.1)
    monkeypatch.setenv("LOCATOR_DEFAULT_CENTER", "east")
    with pytest.raises(ConfigError, match="'east'"):
        create_app({"TESTING": True, "REGISTRY": str(tiny_path)})


def test_production_refuses_the_development_key(tiny_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"PRODUCTION": True, "SECRET_KEY": "dev", "REGISTRY": str(tiny_path)})
    app = create_app({"PRODUCTION": True, "SECRET_KEY": "s3cret-" * 4, "REGISTRY": str(tiny_path)})
    assert app.config["PRODUCTION"] is True


def test_missing_registry_file_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.geojson"):
        create_app({"TESTING": True, "REGISTRY": str(tmp_path / "nope.geojson")})


def test_every_setting_is_documented_in_code_and_readme() -> None:
    assert set(DOCS) == set(DEFAULTS)
    readme = README.read_text(encoding="utf-8")
    missing = [key for key in DEFAULTS if not re.search(rf"`LOCATOR_{key}`", readme)]
    assert missing == [], f"settings missing from README: {missing}"


def test_readme_opens_with_the_two_commands() -> None:
    head = "\n".join(README.read_text(encoding="utf-8").splitlines()[:15])
    assert "make run" in head and "make test" in head
