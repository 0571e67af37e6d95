"""Configuration layers, start-up checks, and docs that keep up with the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from locator import create_app
from locator.errors import ConfigError
from locator.settings import Settings, settings_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_defaults_then_environment_then_test_config(monkeypatch: pytest.MonkeyPatch,
                                                    tiny_path: Path) -> None:
    monkeypatch.setenv("LOCATOR_DEFAULT_K", "7")
    monkeypatch.setenv("LOCATOR_MAX_K", "20")
    monkeypatch.setenv("LOCATOR_REGISTRY", str(tiny_path))
    app = create_app({"TESTING": True, "MAX_K": 30})
    assert app.config["DEFAULT_K"] == 7  # environment over defaults
    assert app.config["MAX_K"] == 30  # test config over environment
    assert app.config["WALK_KMH"] == Settings.defaults()["WALK_KMH"]
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
    """The README's table is the model's own (scripts/settings_table.py writes it)."""
    assert all(field.description for field in Settings.model_fields.values())
    readme = README.read_text(encoding="utf-8")
    start, end = "<!-- settings:start -->\n", "<!-- settings:end -->"
    table = readme.split(start, 1)[1].split(end, 1)[0]
    assert table == settings_table(), "README settings table is stale: " \
                                      "run python scripts/settings_table.py"
    for name in Settings.names():
        assert f"`LOCATOR_{name}`" in table


BAD_SETTINGS = [
    ("MAX_K", "lots", "valid integer"),
    ("MAX_K", "0", "greater than or equal to 1"),
    ("DEFAULT_K", "2.5", "valid integer"),
    ("DEFAULT_K", "60", "above MAX_K"),
    ("WALK_KMH", "-1", "greater than 0"),
    ("DETOUR_FACTOR", "fast", "valid number"),
    ("DEFAULT_TILES", "google", "'amap', 'osm' or 'tianditu'"),
    ("DEFAULT_TILES", "tianditu", "TIANDITU_KEY is not set"),
    ("TIANDITU_KEY", "k", "8-64 letters"),
    ("LANGUAGES", "fr", "'zh_CN' or 'en'"),
    ("BABEL_DEFAULT_LOCALE", "de", "'zh_CN' or 'en'"),
    ("BABEL_DEFAULT_TIMEZONE", "Mars/Olympus", "IANA time zone"),
    ("DEFAULT_CENTER", "east", "'lon,lat'"),
    ("DEFAULT_CENTER", "200,36", "lon in -180..180"),
    ("API_RATE_LIMIT", "lots", "120 per minute"),
    ("LOGIN_RATE_LIMIT", "sometimes", "120 per minute"),
    ("API_RATE_LIMIT_STORAGE", "mongodb://x", "redis://"),
    ("API_CACHE_SECONDS", "-5", "greater than or equal to 0"),
    ("API_FAST_PATH", "perhaps", "valid boolean"),
    ("EMBED_ALLOWED_ORIGINS", "union.example", "an origin like"),
    ("API_CORS_ORIGINS", "https://a.example/path", "an origin like"),
    ("SESSION_COOKIE_SAMESITE", "Sometimes", "'Lax', 'Strict' or 'None'"),
    ("PLANNER_RESOLUTION", "15", "less than or equal to 10"),
    ("REGISTRY_POLL_SECONDS", "-1", "greater than or equal to 0"),
]


@pytest.mark.parametrize(("name", "value", "reason"), BAD_SETTINGS)
def test_a_bad_setting_stops_start_up_naming_variable_and_value(
        monkeypatch: pytest.MonkeyPatch, tiny_path: Path, name: str, value: str,
        reason: str) -> None:
    """Start-up, not the first request, fails: the message names LOCATOR_<NAME>, the value
    as given, and what it must be."""
    monkeypatch.setenv(f"LOCATOR_{name}", value)
    with pytest.raises(ConfigError) as caught:
        create_app({"TESTING": True, "REGISTRY": str(tiny_path)})
    message = str(caught.value)
    assert f"LOCATOR_{name}=" in message or name in message
    assert value in message and reason in message


def test_checked_values_are_typed_in_the_app(monkeypatch: pytest.MonkeyPatch,
                                             tiny_path: Path) -> None:
    monkeypatch.setenv("LOCATOR_LANGUAGES", "zh_CN")
    monkeypatch.setenv("LOCATOR_EMBED_ALLOWED_ORIGINS", "https://A.example/, http://b.example:8080")
    app = create_app({"TESTING": True, "REGISTRY": str(tiny_path)})
    from locator.web.config import settings

    checked = settings(app)
    assert checked.languages == ("zh_CN",)
    assert checked.embed_allowed_origins == ("https://a.example", "http://b.example:8080")
    assert app.config["LANGUAGES"] == ("zh_CN",)


def test_readme_opens_with_the_two_commands() -> None:
    head = "\n".join(README.read_text(encoding="utf-8").splitlines()[:15])
    assert "make run" in head and "make test" in head
