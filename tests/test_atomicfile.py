"""Whole-file writes: the old file or the new one, never a mix, never a stray temp file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from locator.files.atomic import replace_with, write_atomic


def test_replaces_the_file_and_creates_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "units.csv"
    write_atomic(path, b"a,b\n")
    write_atomic(path, "区,街道\n".encode())
    assert path.read_bytes() == "区,街道\n".encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["units.csv"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "plan.geojson"
    path.write_bytes(b"old")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_atomic(path, b"new" * 1000)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.geojson"]


def test_mode_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    write_atomic(path, b"x", mode=0o600)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_fill_that_fails_leaves_the_target_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "store.gpkg"
    target.write_bytes(b"old")

    def half(tmp: Path) -> None:
        tmp.write_bytes(b"half a backup")
        raise OSError("backup did not verify")

    with pytest.raises(OSError, match="did not verify"):
        replace_with(target, half)
    assert target.read_bytes() == b"old" and sorted(tmp_path.iterdir()) == [target]
    replace_with(target, lambda tmp: tmp.write_bytes(b"new"))
    assert target.read_bytes() == b"new" and sorted(tmp_path.iterdir()) == [target]
