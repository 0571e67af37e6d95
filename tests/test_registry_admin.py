"""The upload page: editors and admins only, preview writes nothing, commit serves and audits."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from locator import create_app
from locator.registry.store import open_store
from tests.accounts_util import PASSWORD, make_users, sign_in

CSV = ("id,name,kind,lon,lat\n"
       "u1,<script>alert(1)</script>驿站,box_station,103.84,36.05\n"
       "u2,乙站,gig_market,103.85,36.06\n").encode()
BAD_ROW = b"u3,swapped,box_station,36.06,103.85\n"


@pytest.fixture
def admin_app(tmp_path: Path, tiny_path: Path) -> Flask:
    return create_app({"TESTING": True, "STORE": str(tmp_path / "s.gpkg"),
                       "USERS_DB": str(make_users(tmp_path / "users.sqlite")),
                       "IMPORT_MAX_BYTES": 10_000})


def signed_in(app: Flask, name: str = "editor") -> tuple[FlaskClient, str]:
    client = app.test_client()
    return client, sign_in(client, name)


def upload(client: FlaskClient, csrf: str, data: bytes, **form: Any) -> Any:
    return client.post("/admin/registry/preview", content_type="multipart/form-data",
                       data={"csrf_token": csrf, "datum": "wgs84", "mapping": "",
                             "file": (io.BytesIO(data), "r.csv"), **form})


def test_anonymous_is_sent_to_sign_in_and_viewers_are_refused(admin_app: Flask) -> None:
    anonymous = admin_app.test_client()
    response = anonymous.get("/admin/registry/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/admin/registry/")
    assert upload(anonymous, "x", CSV).status_code in (302, 400)  # no session: never a 200
    viewer, csrf = signed_in(admin_app, "viewer")
    assert viewer.get("/admin/registry/").status_code == 403
    assert upload(viewer, csrf, CSV).status_code == 403
    assert open_store(Path(admin_app.config["STORE"])).active() is None


def test_the_retired_admin_token_is_refused_loudly(tiny_path: Path) -> None:
    from locator.errors import ConfigError

    with pytest.raises(ConfigError, match="ADMIN_TOKEN is no longer used"):
        create_app({"TESTING": True, "REGISTRY": str(tiny_path),
                    "ADMIN_TOKEN": "s3cret-token-for-tests"})


def test_missing_csrf_is_refused(admin_app: Flask) -> None:
    client, _csrf = signed_in(admin_app)
    assert upload(client, "forged", CSV).status_code == 400


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_preview_reports_and_writes_nothing_then_commit_serves(
        admin_app: Flask, tmp_path: Path, role: str) -> None:
    client, csrf = signed_in(admin_app, role)
    before = [s.id for s in admin_app.extensions["locator"].stations]
    response = upload(client, csrf, CSV + BAD_ROW, mode="replace")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "共 3 行：接受 2 行，拒绝 1 行。" in page  # Chinese by default
    assert "经纬度似乎填反了" in page and "lon/lat" in page  # the reason, and the file's headers
    # compared with what is served (the shipped 312), not with the empty store
    assert "与正在使用的名录相比：新增 2，修改 0，删除 312，不变 0。" in page
    assert "<script>alert(1)</script>" not in page  # names are escaped, in the table and map
    assert open_store(tmp_path / "s.gpkg").active() is None
    preview_id = re.search(r'name="preview" value="([0-9a-f]+)"', page)
    assert preview_id is not None
    refused = client.post("/admin/registry/commit", data={"csrf_token": csrf,
                                                          "preview": preview_id.group(1)})
    assert refused.status_code == 422  # rejected rows need an explicit partial import
    assert [s.id for s in admin_app.extensions["locator"].stations] == before
    done = client.post("/admin/registry/commit", data={"csrf_token": csrf, "allow_partial": "1",
                                                       "preview": preview_id.group(1)})
    assert done.status_code == 302
    assert [s.id for s in admin_app.extensions["locator"].stations] == ["u1", "u2"]
    store = open_store(tmp_path / "s.gpkg")
    version = store.active()
    assert version is not None and (version.id, version.accepted, version.rejected) == (2, 2, 1)
    assert version.user == role  # the import is audited under the account's name
    assert len(store.stations(1)) == 312  # the registry served before it: rollback goes there
    from locator.registry import audit

    newest = audit.entries(store)[0]
    assert (newest.action, newest.user, newest.version) == ("import", role, version.id)
    store.close()
    again = client.post("/admin/registry/commit", data={"csrf_token": csrf,
                                                        "preview": preview_id.group(1)})
    assert again.status_code == 400  # a preview commits once


@pytest.mark.parametrize(("data", "status", "message"), [
    (b"<OGRVRTDataSource/>", 422, "GDAL VRT content refused"),
    (b"x" * 20_000, 422, "r.csv: file is over the limit of 10,000 bytes"),
    (b"x" * 200_000, 413, ""),
])
def test_bad_uploads_are_refused(admin_app: Flask, data: bytes, status: int,
                                 message: str) -> None:
    client, csrf = signed_in(admin_app)
    response = upload(client, csrf, data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


@pytest.mark.browser
def test_preview_map_in_chromium(admin_app: Flask, live_server: Callable[[Flask], str],
                                 open_page: Callable[..., Any]) -> None:
    base = live_server(admin_app)
    watch = open_page(f"{base}/admin/registry/?lang=en", viewport={"width": 1280, "height": 800})
    page = watch.page
    page.fill("input[name=name]", "editor")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.set_input_files("input[name=file]", files=[{"name": "r.csv", "mimeType": "text/csv",
                                                      "buffer": CSV}])
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector(".leaflet-interactive")
    assert page.locator("path.leaflet-interactive").count() >= 3  # area outline + 2 added
    assert watch.dialogs == [] and watch.errors == []
    watch.screenshot("registry-preview-1280x800")
    page.click("form[action$=commit] button[type=submit]")
    # merged into the served registry: its 12 documented stations stay, the 300
    # demonstration ones (synthetic) never mix with real ones
    assert "Version 2 is now served: 14 stations." in page.content()


def test_diff_by_id_finds_added_removed_moved_and_edited() -> None:
    from locator.model import Kind, Station
    from locator.registry.importer import diff

    def st(key: str, lon: float | None, name: str = "n") -> Station:
        return Station(id=key, name=name, kind=Kind.PARTNER, lon=lon,
                       lat=None if lon is None else 36.0)

    old = [st("same", 103.8), st("moved", 103.8), st("renamed", 103.8), st("gone", 103.8),
           st("nudged", 103.8)]
    new = [st("same", 103.8), st("moved", 103.801), st("renamed", 103.8, "新名"),
           st("new", None), st("nudged", 103.800001)]
    changes = diff(old, new)
    assert [s.id for s in changes.added] == ["new"]
    assert [s.id for s in changes.removed] == ["gone"]
    assert [(a.id, round(m)) for a, _b, m in changes.moved] == [("moved", 90)]  # 0.001° at 36°N
    assert [s.id for s in changes.edited] == ["renamed"]
    assert changes.unchanged == 2  # a 9 cm nudge is not a move


def preview_id_of(page: str) -> str:
    found = re.search(r'name="preview" value="([0-9a-f]+)"', page)
    assert found is not None, page[:500]
    return found.group(1)


def test_a_commit_after_the_registry_changed_is_refused_and_offers_a_new_preview(
        admin_app: Flask, tmp_path: Path) -> None:
    # the planner previews; meanwhile someone else imports; committing the old preview
    # would silently undo that import (it was a plain write, not a compare-and-swap)
    planner, csrf = signed_in(admin_app, "editor")
    pending = preview_id_of(upload(planner, csrf, CSV).get_data(as_text=True))
    other, other_csrf = signed_in(admin_app, "admin")
    theirs = "id,name,kind,lon,lat\nz9,别人的站,partner,103.86,36.07\n".encode()
    landed = other.post("/admin/registry/commit", data={
        "csrf_token": other_csrf,
        "preview": preview_id_of(upload(other, other_csrf, theirs).get_data(as_text=True))})
    assert landed.status_code == 302

    refused = planner.post("/admin/registry/commit?lang=en",
                           data={"csrf_token": csrf, "preview": pending})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "The registry changed since your preview" in page
    # (version 1 is the served registry, stored before the first import; 2 is theirs)
    assert "compared with version —, but version 2 is active now" in page
    assert re.search(r"<td>admin</td><td>import</td><td>2</td><td>r\.csv</td>", page), page
    store = open_store(tmp_path / "s.gpkg")
    try:
        assert [v.id for v in store.history()] == [2, 1]  # nothing written
    finally:
        store.close()
    served = [s.id for s in admin_app.extensions["locator"].stations]
    assert "z9" in served and "u1" not in served

    # a new preview of the same file, against version 2: u1 and u2 are added beside z9
    again = planner.post("/admin/registry/preview-again?lang=en",
                         data={"csrf_token": csrf, "preview": preview_id_of(page)})
    shown = again.get_data(as_text=True)
    assert again.status_code == 200 and "2 added, 0 changed, 0 removed" in shown, shown[:2000]
    done = planner.post("/admin/registry/commit", data={"csrf_token": csrf,
                                                        "preview": preview_id_of(shown)})
    assert done.status_code == 302
    served = [s.id for s in admin_app.extensions["locator"].stations]
    assert served[-3:] == ["z9", "u1", "u2"]


class CountingBody(io.RawIOBase):
    """A request body of ``size`` bytes that counts how much of it the app read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0
        self.taken = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # (the test client measures the body by seeking to its end and back)

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = {0: 0, 1: self.position, 2: self.size}[whence] + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: Any) -> int:
        n = max(0, min(len(buffer), self.size - self.position))
        buffer[:n] = b"x" * n
        self.position += n
        self.taken += n
        return n


@pytest.mark.parametrize(("who", "status"), [(None, 302), ("viewer", 403)])
def test_an_upload_from_anyone_but_an_editor_is_answered_before_its_body_is_read(
        admin_app: Flask, who: str | None, status: int) -> None:
    # an anonymous 50 MB multipart body was parsed (by the CSRF check) before sign-in was
    # checked, under the upload page's raised size limit
    client = admin_app.test_client()
    if who is not None:
        sign_in(client, who)
    body = CountingBody(50 * 1024 * 1024)
    response = client.post("/admin/registry/preview", input_stream=body,
                           content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == status
    assert body.taken == 0


def test_previews_are_private_one_per_session_and_within_a_quota(admin_app: Flask,
                                                                 tmp_path: Path) -> None:
    from locator.web.pages.upload import PREVIEW_QUOTA

    admin_app.instance_path = str(tmp_path / "instance")  # its own: no other test's previews
    folder = tmp_path / "instance" / "uploads"
    limit = int(admin_app.config["IMPORT_MAX_BYTES"])
    rows = "".join(f"q{i},站{i},partner,103.84,36.05\n" for i in range(200))
    data = ("id,name,kind,lon,lat\n" + rows).encode()
    assert limit * 0.5 < len(data) <= limit
    client, csrf = signed_in(admin_app)
    for _ in range(3):  # the same planner previewing again: one file, the newest
        latest = preview_id_of(upload(client, csrf, data).get_data(as_text=True))
    assert [p.name for p in folder.glob("*.bin")] == [f"{latest}.bin"]
    for _ in range(2 * PREVIEW_QUOTA):  # many planners at once: the oldest go
        other, other_csrf = signed_in(admin_app)
        newest = preview_id_of(upload(other, other_csrf, data).get_data(as_text=True))
    kept = list(folder.glob("*.bin"))
    assert sum(p.stat().st_size for p in kept) <= PREVIEW_QUOTA * limit
    assert len(kept) >= PREVIEW_QUOTA // 2 and (folder / f"{newest}.bin") in kept
    assert (folder / f"{latest}.bin") not in kept
    assert {oct(p.stat().st_mode & 0o777) for p in kept} == {"0o600"}
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    refused = client.post("/admin/registry/commit", data={"csrf_token": csrf, "preview": latest})
    assert refused.status_code == 400  # its file went: upload again
