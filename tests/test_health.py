"""A corrupt store at start-up: set aside, its verified backup served read-only, 503 on writes.

Also: every store write leaves a verified ``.bak``; ``/healthz`` says ``ok`` otherwise; with no
sound backup the app refuses to start and touches nothing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from locator import create_app
from locator.cli import main
from locator.errors import ConfigError, StoreUnavailable
from locator.registry import importer
from locator.registry.store import backup
from locator.registry.store.gpkg import GpkgStore
from locator.web import health
from tests.accounts_util import make_users, sign_in

ROWS = [{"id": "a", "name": "甲站", "kind": "smart_station", "lon": 103.84, "lat": 36.053},
        {"id": "b", "name": "乙站", "kind": "box_station", "lon": 103.85, "lat": 36.053}]


def commit(store: GpkgStore, path: Path) -> None:
    importer.commit(store, importer.prepare(path, boundary=None), user="tester", mode="replace")


@pytest.fixture
def store_path(tmp_path: Path, write_registry: Callable[[list[dict[str, Any]]], Path]) -> Path:
    """A store with two versions: ``甲站`` alone, then ``甲站`` and ``乙站``."""
    path = tmp_path / "registry.gpkg"
    store = GpkgStore(path)
    try:
        commit(store, write_registry(ROWS[:1]))
        commit(store, write_registry(ROWS))
    finally:
        store.close()
    return path


def make_app(store_path: Path) -> Flask:
    return create_app({"TESTING": True, "STORE": str(store_path), "REGISTRY_BOUNDARY": "off",
                       "USERS_DB": str(make_users(store_path.parent / "users.sqlite"))})


def admin_health(app: Flask) -> dict[str, Any]:
    """``/healthz`` as a signed-in administrator sees it (with reasons and paths)."""
    client = app.test_client()
    sign_in(client, "admin")
    body: dict[str, Any] = client.get("/healthz").get_json()
    return body


def corrupt(path: Path, how: str) -> bytes:
    data = bytearray(path.read_bytes())
    if how == "header":
        data[:100] = b"\xab" * 100
    else:  # b-tree pages in the middle of the file
        data[4096:4096 * 4] = bytes(range(256)) * 48
    path.write_bytes(bytes(data))
    return bytes(data)


def test_every_write_leaves_a_verified_backup(store_path: Path) -> None:
    saved = backup.backup_path(store_path)
    assert saved.name == "registry.gpkg.bak" and backup.check_file(saved) is None
    copy = GpkgStore(saved)
    try:
        assert [s.name for s in copy.stations()] == ["甲站", "乙站"]
        assert copy.active() is not None and copy.active().id == 2  # type: ignore[union-attr]
    finally:
        copy.close()
    store = GpkgStore(store_path)
    try:
        store.rollback(user="tester")
    finally:
        store.close()
    copy = GpkgStore(saved)
    try:
        assert [s.name for s in copy.stations()] == ["甲站"]  # the rollback was backed up too
    finally:
        copy.close()


def test_a_healthy_store_is_ok(store_path: Path) -> None:
    client = make_app(store_path).test_client()
    assert client.get("/healthz").get_json() == {
        "status": "ok", "writable": True,
        "reports": {"open": 0, "accepted": 0, "dismissed": 0}}
    assert not list(store_path.parent.glob("*.corrupt-*"))


def test_workers_check_a_sound_store_side_by_side(store_path: Path) -> None:
    # another worker is in the middle of its own check (it holds the shared lock): this one
    # must not wait for it; with a corrupt store it would (the restore is exclusive)
    import fcntl
    import threading

    lock_path = store_path.with_name(f".{store_path.name}.check.lock")
    found: list[health.Health] = []
    with open(lock_path, "a") as other:
        fcntl.flock(other, fcntl.LOCK_SH)
        checking = threading.Thread(target=lambda: found.append(
            health.check_store(str(store_path))), daemon=True)
        checking.start()
        checking.join(timeout=30)
        assert not checking.is_alive(), "a sound store's check waited for another worker"
    assert found == [health.Health()]


@pytest.mark.parametrize("how", ["header", "pages"])
def test_a_corrupt_store_is_kept_and_its_backup_served_read_only(
        store_path: Path, how: str, write_registry: Callable[[list[dict[str, Any]]], Path],
) -> None:
    registry = write_registry(ROWS[1:])
    bad = corrupt(store_path, how)
    assert backup.check_file(store_path) is not None
    app = make_app(store_path)

    # the corrupt bytes are kept, renamed aside, never deleted
    aside = list(store_path.parent.glob("registry.gpkg.corrupt-*"))
    files = [p for p in aside if not p.name.endswith(("-wal", "-shm"))]
    assert len(files) == 1
    kept = files[0]
    assert hashlib.sha256(kept.read_bytes()).digest() == hashlib.sha256(bad).digest()

    # /healthz says degraded to anyone; the reason and the files only to an administrator
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "degraded", "writable": False,
                                                  "reports": {"open": 0, "accepted": 0,
                                                              "dismissed": 0}}
    body = admin_health(app)
    assert body["status"] == "degraded" and body["writable"] is False
    assert body["reason"].startswith("store corrupt: ") and body["corrupt_file"] == str(kept)
    stations = client.get("/api/v1/stations").get_json()["features"]
    assert [f["properties"]["name"] for f in stations] == ["甲站", "乙站"]

    # writes are refused with 503, and nothing is written
    token = sign_in(client, "editor")
    etag = client.get("/edit/api/stations/a").headers["ETag"]
    refused = client.put("/edit/api/stations/a", json={"name": "x", "kind": "partner"},
                         headers={"X-CSRFToken": token, "If-Match": etag})
    assert refused.status_code == 503
    assert refused.get_json()["error"]["code"] == "store_unavailable"
    retire = client.delete("/edit/api/stations/b", headers={"X-CSRFToken": token,
                                                             "If-Match": etag})
    assert retire.status_code == 503
    with app.test_request_context("/"), pytest.raises(StoreUnavailable, match="store corrupt"):
        health.ensure_writable()
    store = GpkgStore(store_path)
    try:  # the store itself refuses writes too: from the CLI or any other process
        with pytest.raises(StoreUnavailable, match=r"registry\.gpkg\.degraded"):
            commit(store, registry)
        with pytest.raises(StoreUnavailable, match="read-only"):
            store.rollback(user="tester")
        assert store.active().id == 2  # type: ignore[union-attr]
        assert len(store.history()) == 2
    finally:
        store.close()
    cli = CliRunner().invoke(main, ["import", str(registry), "--store", str(store_path)])
    assert cli.exit_code != 0 and "read-only" in cli.output, cli.output

    # still degraded after a restart (the marker says so); nothing is set aside twice
    again = admin_health(make_app(store_path))
    assert again["status"] == "degraded" and again["corrupt_file"] == str(kept)
    assert len(list(store_path.parent.glob("registry.gpkg.corrupt-*"))) == len(aside)

    # the administrator clears the marker: healthy and writable again
    marker = health.marker_path(store_path)
    assert json.loads(marker.read_text())["corrupt_file"] == str(kept)
    marker.unlink()
    assert make_app(store_path).test_client().get("/healthz").get_json()["status"] == "ok"


def test_without_a_sound_backup_the_app_refuses_to_start_and_touches_nothing(
        store_path: Path) -> None:
    bad = corrupt(store_path, "header")
    backup.backup_path(store_path).unlink()
    with pytest.raises(ConfigError, match=r"is corrupt .* no sound backup exists \(there is no "
                                          r"backup\); the file was left in place"):
        make_app(store_path)
    assert store_path.read_bytes() == bad
    assert not list(store_path.parent.glob("*.corrupt-*"))
    backup.backup_path(store_path).write_bytes(b"not a database either")
    with pytest.raises(ConfigError, match="no sound backup"):
        make_app(store_path)
    assert store_path.read_bytes() == bad


def test_a_restore_that_cannot_copy_leaves_the_corrupt_store_in_place(
        store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a full disk while copying the backup: nothing moved, no marker, no stray copy, and the
    # next start (the disk freed) restores as usual
    bad = corrupt(store_path, "header")
    config = {"TESTING": True, "STORE": str(store_path), "REGISTRY_BOUNDARY": "off",
              "USERS_DB": str(make_users(store_path.parent / "users.sqlite"))}

    def full(src: object, dst: Path, **_: object) -> Path:
        Path(dst).write_bytes(b"partial")
        raise OSError("No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(OSError, match="No space left"):
        create_app(config)
    assert store_path.read_bytes() == bad
    assert not health.marker_path(store_path).exists()
    assert sorted(p.name for p in store_path.parent.glob(f"*{store_path.name}*")
                  if not p.name.endswith(".lock")) == [store_path.name,
                                                       backup.backup_path(store_path).name]
    monkeypatch.undo()
    assert health.is_degraded(create_app(config))


def test_a_failed_backup_is_logged_and_the_write_stands(
        store_path: Path, write_registry: Callable[[list[dict[str, Any]]], Path],
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_: object) -> Path:
        raise OSError("No space left on device")

    monkeypatch.setattr(backup, "write_backup", broken)
    store = GpkgStore(store_path)
    try:
        commit(store, write_registry(ROWS[1:]))
        assert [s.name for s in store.stations()] == ["乙站"]
    finally:
        store.close()
    assert "the backup was not refreshed" in caplog.text
    assert backup.check_file(backup.backup_path(store_path)) is None  # the old one is kept


def test_workers_starting_together_restore_once(store_path: Path) -> None:
    """Four processes check one corrupt store at once (as gunicorn workers start): one sets
    it aside and restores it, every one of them ends degraded, and the restored file is sound."""
    corrupt(store_path, "header")
    code = ("import sys; from locator.web import health; "
            "print(health.check_store(sys.argv[1]).status)")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(store_path)],
                              stdout=subprocess.PIPE, text=True) for _ in range(4)]
    statuses = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert statuses == ["degraded"] * 4
    assert len(list(store_path.parent.glob("registry.gpkg.corrupt-*"))) == 1
    assert backup.check_file(store_path) is None
