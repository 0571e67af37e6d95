"""Production detection and its refusals: debug mode, weak keys, the instance key file."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from flask import Flask

from locator import create_app
from locator.errors import ConfigError
from locator.web import production


def bare(**config: object) -> Flask:
    app = Flask("t", instance_path="/nonexistent-instance")
    app.config.update(config)
    return app


@pytest.mark.parametrize(("config", "cli", "expected"), [
    ({"PRODUCTION": True, "TESTING": True}, "true", True),   # an explicit setting wins
    ({"PRODUCTION": False}, None, False),
    ({"PRODUCTION": None, "TESTING": True}, None, False),     # tests
    ({"PRODUCTION": None}, "true", False),                    # flask run / make run
    ({"PRODUCTION": None}, None, True),                       # gunicorn, locator serve, ...
])
def test_how_production_is_detected(monkeypatch: pytest.MonkeyPatch, config: dict[str, object],
                                     cli: str | None, expected: bool) -> None:
    if cli is None:
        monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    else:
        monkeypatch.setenv("FLASK_RUN_FROM_CLI", cli)
    assert production.is_production(bare(**config)) is expected


def test_development_gets_the_dev_key(tiny_path: Path) -> None:
    app = create_app({"TESTING": True, "REGISTRY": str(tiny_path)})
    assert app.config["SECRET_KEY"] == production.DEV_KEY and app.config["PRODUCTION"] is False


@pytest.mark.parametrize(("key", "message"), [
    ("dev", "got dev"),
    ("short-key", "got 9 characters"),
])
def test_production_refuses_weak_keys(tiny_path: Path, key: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        create_app({"PRODUCTION": True, "SECRET_KEY": key, "REGISTRY": str(tiny_path)})


@pytest.mark.parametrize("how", ["DEBUG", "env"])
def test_production_refuses_debug_mode(tiny_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       how: str) -> None:
    config: dict[str, object] = {"PRODUCTION": True, "SECRET_KEY": "k" * 32,
                                 "REGISTRY": str(tiny_path)}
    if how == "DEBUG":
        config["DEBUG"] = True
    else:
        monkeypatch.setenv("LOCATOR_DEBUG", "true")
    with pytest.raises(ConfigError, match="debug mode is on in production"):
        create_app(config)


def test_debug_is_fine_in_development(tiny_path: Path) -> None:
    app = create_app({"PRODUCTION": False, "DEBUG": True, "REGISTRY": str(tiny_path)})
    assert app.debug


def test_the_instance_key_is_made_once_private_and_reused(tmp_path: Path) -> None:
    first = production.secret_from_instance(tmp_path / "instance")
    path = tmp_path / "instance" / production.SECRET_FILE
    assert len(first) == 64 and int(first, 16) >= 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert production.secret_from_instance(tmp_path / "instance") == first
    assert [p.name for p in path.parent.iterdir()] == [production.SECRET_FILE]  # no temp left


def test_workers_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    found: list[str] = []
    threads = [threading.Thread(target=lambda: found.append(
        production.secret_from_instance(tmp_path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(found) == 8 and len(set(found)) == 1


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / production.SECRET_FILE
    path.write_text("x" * 64)
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match=r"mode 0644\); run: chmod 600"):
        production.secret_from_instance(tmp_path)
    os.chmod(path, 0o600)
    assert production.secret_from_instance(tmp_path) == "x" * 64
    path.write_text("short")
    with pytest.raises(ConfigError, match="key of 5 characters"):
        production.secret_from_instance(tmp_path)


def test_production_without_a_key_uses_the_instance_file(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    app = bare(PRODUCTION=True, SECRET_KEY=None)
    app.instance_path = str(tmp_path)
    production.apply(app)
    assert app.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()
