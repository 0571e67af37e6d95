"""What the app leaves on disk: files only the service user can read, no leftovers of killed
writes, and no store that another process can see half made.

Found by the adversarial test: the store, its backup and ``users.sqlite`` were made ``0644``;
25 killed backup writes left 800 MB of ``.bak.*.tmp`` files; and (found here, with two
gunicorn workers starting on a new store) a worker that checked the store while the other
was still creating its tables took it for corrupt and refused to start.
"""

from __future__ import annotations

import io
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from locator import create_app
from locator.cli import main
from locator.files.atomic import remove_leftovers
from locator.registry.store import backup
from locator.registry.store import gpkg as gpkg_store
from locator.registry.store.gpkg import GpkgStore
from tests.accounts_util import make_users, sign_in
from tests.conftest import TINY, feature_collection

ROOT = Path(__file__).resolve().parents[1]


def modes(folder: Path) -> dict[str, str]:
    """``{relative path: octal mode}`` of everything under ``folder`` (and itself)."""
    found = {".": oct(stat.S_IMODE(folder.stat().st_mode))}
    for path in sorted(folder.rglob("*")):
        found[str(path.relative_to(folder))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The usual umask (022), under which SQLite alone makes its files 0644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("usual_umask")
def test_everything_the_app_creates_is_private(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    instance = tmp_path / "instance"
    registry = tmp_path / "tiny.geojson"
    registry.write_text(json.dumps(feature_collection(TINY)), encoding="utf-8")
    users = make_users(tmp_path / "accounts" / "users.sqlite")  # (a copy: check its own)
    monkeypatch.setenv("LOCATOR_USERS_DB", str(instance / "users.sqlite"))
    runner = CliRunner()
    made = runner.invoke(main, ["user", "add", "boss", "--role", "admin", "--password-stdin"],
                         input="a long enough password\n")
    assert made.exit_code == 0, made.output
    done = runner.invoke(main, ["import", str(registry), "--store",
                                str(instance / "registry.gpkg"), "--user", "setup"])
    assert done.exit_code == 0, done.output
    app = create_app({"TESTING": True, "STORE": str(instance / "registry.gpkg"),
                      "USERS_DB": str(instance / "users.sqlite"), "REGISTRY_BOUNDARY": "off",
                      "AREAS_DIR": str(instance / "areas")})
    app.instance_path = str(instance)
    client = app.test_client()
    token = sign_in(client, "boss", "a long enough password")
    etag = client.get("/edit/api/stations/a").headers["ETag"]
    assert client.put("/edit/api/stations/a", json={"name": "改", "kind": "partner",
                                                    "lon": 103.84, "lat": 36.053},
                      headers={"X-CSRFToken": token, "If-Match": etag}).status_code == 200
    preview = client.post("/admin/registry/preview", content_type="multipart/form-data",
                          data={"csrf_token": token, "datum": "wgs84", "mapping": "",
                                "file": (io.BytesIO(registry.read_bytes()), "r.geojson")})
    assert preview.status_code == 200
    with app.app_context():
        from locator.areas import imports, store
        from tests.test_areas import cell, feature, write_geojson

        areas = write_geojson(tmp_path / "areas.geojson", [feature(
            {"name": "东岗西路街道", "district": "城关区"}, cell(0))])
        store.save_areas(instance / "areas", imports.prepare_areas(areas, level="subdistrict"))
    assert users.exists()
    found = modes(instance)
    assert {name for name in found} >= {".", "registry.gpkg", "registry.gpkg.bak",
                                        "users.sqlite", "uploads", "areas"}
    loose = {name: mode for name, mode in found.items()
             if int(mode, 8) & 0o077 or (Path(instance / name).is_dir() and mode != "0o700")}
    assert loose == {}, found


def test_a_new_store_is_never_seen_without_its_tables(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # another process checking the path while the store is made sees nothing, or all of it
    path = tmp_path / "registry.gpkg"
    seen: list[str | None] = []
    make = gpkg_store._new_store

    def watched(tmp: Path) -> None:
        make(tmp)
        seen.append("absent" if not path.exists() else backup.check_file(path))

    monkeypatch.setattr(gpkg_store, "_new_store", watched)
    GpkgStore(path).close()
    assert seen == ["absent"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["registry.gpkg"]  # no temp file
    assert backup.check_file(path) is None


HANGING_BACKUP = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from locator.files.atomic import replace_with

    def fill(tmp: Path) -> None:
        tmp.write_bytes(b"half a backup " * 10000)
        print("writing", flush=True)
        time.sleep(600)  # killed here, or left running while the app starts

    replace_with(Path(sys.argv[1]).with_name("registry.gpkg.bak"), fill)
""")


def start_backup(store: Path) -> subprocess.Popen[str]:
    writer = subprocess.Popen([sys.executable, "-c", HANGING_BACKUP, str(store)], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)},
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    return writer


def test_leftovers_of_killed_writes_are_removed_at_start_up_and_live_ones_kept(
        tmp_path: Path) -> None:
    store = tmp_path / "registry.gpkg"
    GpkgStore(store).close()
    killed = start_backup(store)
    killed.send_signal(signal.SIGKILL)
    killed.communicate()
    alive = start_backup(store)
    try:
        temps = sorted(tmp_path.glob(".registry.gpkg.bak.*.tmp"))
        assert len(temps) == 2  # one dead, one being written
        old = time.time() - 3600
        for temp in temps:
            os.utime(temp, (old, old))  # both look stale: only the lock tells them apart
        unrelated = tmp_path / ".other.gpkg.x.tmp"
        unrelated.write_bytes(b"not ours")
        create_app({"TESTING": True, "STORE": str(store), "REGISTRY_BOUNDARY": "off",
                    "USERS_DB": str(make_users(tmp_path / "users.sqlite"))})
        left = sorted(tmp_path.glob(".registry.gpkg.bak.*.tmp"))
        assert len(left) == 1 and left[0] in temps  # the live writer's, untouched
        assert unrelated.exists()
    finally:
        alive.send_signal(signal.SIGKILL)
        alive.communicate()
    assert [p.name for p in remove_leftovers(tmp_path, "registry.gpkg")] == [left[0].name]
