"""Faults during an edit save: SIGKILL at any moment (50 runs) and a full disk.

Each save is one ``Store.write`` transaction of a whole new version with its audit
record. After a kill the store must open, pass its checks, and hold the old or the new
version complete: every other station untouched, the edited one wholly in one of its
two states, and the version's audit record describing exactly that state. A disk that
fills up mid-save (``RLIMIT_FSIZE`` in a child process: writes past the limit fail with
``EFBIG`` as on a full disk) must give a clear error and leave the old data intact.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from locator.model import Kind, Station
from locator.registry import editing
from locator.registry.editing import Action
from locator.registry.store import ImportMeta
from locator.registry.store.gpkg import GpkgStore
from tests.killing import kill_during

ROWS = 400  # a Lanzhou-sized registry: one save takes some tens of milliseconds
KILLS = 50
BASE = [Station(id=f"s{i}", name=f"驿站 {i}", kind=Kind.BOX_STATION, lon=103.5 + i * 1e-4,
                lat=36.0 + (i % 89) * 1e-3, address=f"地址 {i}") for i in range(ROWS)]
VARIANTS = {  # every field of the edited station differs between the two states
    "A": Station(id="s7", name="甲 状态", kind=Kind.SMART_STATION, lon=103.81, lat=36.05,
                 opening_hours="24/7", address="甲 地址", note="A"),
    "B": Station(id="s7", name="乙 状态", kind=Kind.GIG_MARKET, lon=103.92, lat=36.11,
                 opening_hours="Mo-Fr 08:00-18:00", address="乙 地址", note="B"),
}


def seed(path: Path) -> None:
    store = GpkgStore(path)
    store.write(BASE, ImportMeta(user="setup", source="base.csv", sha256="0" * 64, rows=ROWS,
                                 rejected=0, datum="wgs84"))
    store.close()


def current_s7(store: GpkgStore) -> Station:
    return next(s for s in store.stations() if s.id == "s7")


def _child(path: Path, fd: int) -> None:
    store = GpkgStore(path)
    while True:
        now = current_s7(store)
        label = "B" if now.note == "A" else "A"
        os.write(fd, b"b")  # begin
        editing.save(store, Action.EDIT, "s7", VARIANTS[label], editing.station_etag(now),
                     user="killer", base=list)
        os.write(fd, b"c")  # committed


def check_whole(path: Path, *, user: str = "killer") -> str:
    """The store is sound and holds one complete state; returns which ("base", "A", "B")."""
    store = GpkgStore(path)
    try:
        assert store.check() == []
        active = store.active()
        assert active is not None
        rows = store.stations()
        assert len(rows) == ROWS and active.accepted == ROWS
        assert [s for s in rows if s.id != "s7"] == [s for s in BASE if s.id != "s7"]
        edited = current_s7(store)
        if edited == BASE[7]:
            assert active.source == "base.csv"
            return "base"
        label = edited.note
        assert edited == VARIANTS[label]
        report = store.report() or {}
        (record,) = report["audit"]
        # before: the state this save replaced (the base or the other variant), never itself
        earlier = [editing.station_dict(s) for s in (BASE[7], *VARIANTS.values()) if s != edited]
        before = record.pop("before")
        assert record == {"action": "edit", "station_id": "s7",
                          "after": editing.station_dict(edited)}
        assert before in earlier
        assert active.user == user
        return label
    finally:
        store.close()


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_sigkill_during_edit_saves_never_leaves_a_partial_version(tmp_path: Path) -> None:
    path = tmp_path / "registry.gpkg"
    seed(path)
    store = GpkgStore(path)
    started = time.perf_counter()
    editing.save(store, Action.EDIT, "s7", VARIANTS["A"], editing.station_etag(BASE[7]),
                 user="killer", base=list)
    save_s = time.perf_counter() - started
    store.close()
    rng = random.Random(7)
    seen: set[str] = set()
    mid_save = 0
    for run in range(KILLS):
        events = kill_during(lambda fd: _child(path, fd), run=run, rng=rng,
                             max_delay_s=2.0 * save_s)
        mid_save += events.endswith(b"b")
        seen.add(check_whole(path))
    assert mid_save >= KILLS // 5, f"only {mid_save} of {KILLS} kills hit a save"
    assert seen == {"A", "B"}


DISK_FULL_CHILD = textwrap.dedent("""
    import resource, signal, sys
    from pathlib import Path
    from locator.registry import editing
    from locator.errors import StoreWriteFailed
    from locator.registry.store.gpkg import GpkgStore
    from tests.test_edit_faults import VARIANTS, current_s7

    store = GpkgStore(Path(sys.argv[1]))
    now = current_s7(store)  # the store is open and readable: only writes will fail
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
    limit = int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        editing.save(store, editing.Action.EDIT, "s7", VARIANTS["B"],
                     editing.station_etag(now), user="filler", base=list)
    except StoreWriteFailed as exc:
        print(exc.message)
        sys.exit(0)
    print("saved although the disk was full")
    sys.exit(1)
""")


def test_a_full_disk_during_a_save_is_a_clear_error_and_the_old_data_stays(
        tmp_path: Path) -> None:
    path = tmp_path / "registry.gpkg"
    seed(path)
    store = GpkgStore(path)
    editing.save(store, Action.EDIT, "s7", VARIANTS["A"], editing.station_etag(BASE[7]),
                 user="setup", base=list)
    versions = [v.id for v in store.history()]
    store.close()
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", DISK_FULL_CHILD, str(path), str(48 * 1024)],
                          capture_output=True, text=True, cwd=root, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stdout + done.stderr
    message = done.stdout.strip()
    print(message)
    assert "could not be written" in message and "nothing was changed" in message
    assert "full" in message or "disk" in message, message
    assert check_whole(path, user="setup") == "A"  # the old version, complete
    store = GpkgStore(path)
    assert [v.id for v in store.history()] == versions
    store.close()


CHECKPOINT_FULL_CHILD = textwrap.dedent("""
    import resource, signal, sys
    from pathlib import Path
    from locator.registry import editing
    from locator.registry.store.gpkg import GpkgStore
    from tests.test_edit_faults import VARIANTS, current_s7

    store = GpkgStore(Path(sys.argv[1]))
    now = current_s7(store)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
    limit = int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    saved = editing.save(store, editing.Action.EDIT, "s7", VARIANTS["B"],
                         editing.station_etag(now), user="filler", base=list)
    print(saved.version.id)
    for warning in store.warnings:
        print(warning)
""")


def test_a_disk_that_fills_after_the_commit_reports_the_version_as_stored(
        tmp_path: Path) -> None:
    # the store file may not grow (RLIMIT_FSIZE at its size): the commit's WAL frames fit,
    # the checkpoint into the file and the new backup do not — as on a disk that fills up
    # between the two. The save stood, but was answered "507, nothing was changed".
    from locator.registry.store import backup

    path = tmp_path / "registry.gpkg"
    seed(path)
    saved_backup = backup.backup_path(path).read_bytes()
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", CHECKPOINT_FULL_CHILD, str(path),
                           str(path.stat().st_size)], capture_output=True, text=True,
                          cwd=root, timeout=120, env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stdout + done.stderr
    version, *warnings = done.stdout.strip().splitlines()
    assert version == "2"
    assert [w.split(":")[0] for w in warnings] == [
        "version 2 is stored, but the WAL checkpoint failed",
        "version 2 is stored, but its backup was not refreshed"]
    assert "the WAL checkpoint failed" in done.stderr  # logged, not only returned
    assert "the backup was not refreshed" in done.stderr
    assert check_whole(path, user="filler") == "B"  # the store holds what was answered
    assert backup.read_warnings(path) == warnings  # for /healthz in every process
    assert backup.backup_path(path).read_bytes() == saved_backup  # the old backup, intact
    store = GpkgStore(path)  # the disk has room again: the next write settles cleanly
    try:
        editing.save(store, Action.EDIT, "s7", VARIANTS["A"], editing.station_etag(
            current_s7(store)), user="setup", base=list)
        assert store.warnings == []
    finally:
        store.close()
    assert backup.read_warnings(path) == [] and not backup.warning_path(path).exists()
