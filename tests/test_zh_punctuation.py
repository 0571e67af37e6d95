"""Chinese text uses full-width punctuation: no ASCII ``:`` ``,`` ``.`` ``;`` ``!`` ``?`` next to a
Chinese character, in the zh catalogue or on any page as rendered in Chinese."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from tests.accounts_util import edit_app, sign_in
from tests.conftest import TINY, feature_collection

PO = Path(__file__).resolve().parents[1] / "locator/translations/zh/LC_MESSAGES/messages.po"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
#: ASCII punctuation whose nearest neighbour (spaces skipped) on either side is Chinese.
MIXED = re.compile(rf"(?<=[{_CJK}])\s*[:,.;!?]|[:,.;!?](?=\s*[{_CJK}])")


def flagged(text: str) -> list[str]:
    """Each ASCII mark next to Chinese text in ``text``, shown with a little context."""
    return [text[max(0, m.start() - 8):m.end() + 8] for m in MIXED.finditer(text)]


@pytest.mark.parametrize(("text", "bad"), [
    ("进入方式: 直接进入", True), ("下载:", True), ("未设置位置：显示市中心:", True),
    ("一、二,三", True), ("关闭. 明天", True), ("共 3 个. ", True), ("共 3 个。", False),
    ("进入方式：直接进入", False), ("周一（12月7日）09:00 开放", False),
    ("09:00–17:30、14:30–18:00", False), ("36.06000, 103.83000 (WGS-84)", False),
    ("tiles=amap", False), ("兰州 Lanzhou: city", False),
])
def test_the_check_itself(text: str, bad: bool) -> None:
    assert bool(flagged(text)) is bad


def test_the_catalogue_uses_full_width_punctuation() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    found = {}
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if isinstance(text, str) and flagged(text):
                found[str(message.id)] = flagged(text)
    assert found == {}


class _Text(HTMLParser):
    """The text a reader sees (or hears): text nodes outside scripts and styles, and the
    attributes shown or read out."""

    SHOWN = ("title", "placeholder", "aria-label", "alt", "value")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if value and (name in self.SHOWN or name.startswith("data-")):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> Iterator[str]:
    """Each piece of reader-visible text of a page."""
    parser = _Text()
    parser.feed(html)
    return iter(parser.parts)


def problems(client: FlaskClient, path: str) -> list[str]:
    """What :func:`flagged` finds in the page's own text: the registry's names, addresses and
    notes are the union's data, shown as written, so they are blanked out first."""
    response = client.get(path)
    assert response.status_code < 500, path
    assert isinstance(client.application, Flask)
    data = sorted({text for s in client.application.extensions["locator"].stations
                   for text in (s.name, s.address, s.note) if text}, key=len, reverse=True)
    found = []
    for part in visible_text(response.get_data(as_text=True)):
        for text in data:
            part = part.replace(text, "■")
        found += [f"{path}: {hit!r}" for hit in flagged(part)]
    return found


@pytest.fixture(scope="module")
def editor_client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    folder = tmp_path_factory.mktemp("zh-pages")
    registry = folder / "registry.geojson"
    rows = [{**TINY[0], "verified": "2024-01-07"}, *TINY[1:]]
    registry.write_text(json.dumps(feature_collection(rows), ensure_ascii=False),
                        encoding="utf-8")
    app: Flask = edit_app(folder, registry)
    client = app.test_client()
    sign_in(client, "editor")
    return client


# (not /api/v1/docs: it shows the OpenAPI document, in English, as the code declares it)
PUBLIC = ["/", "/?lat=36.06&lon=103.83&kind=box_station&open=now&walk_in=1",
          "/?lat=36.06&lon=103.83&open=at&at=2026-12-05T18:00", "/?q=yanchang",
          "/?station=news-001", "/embed?lat=36.06&lon=103.83", "/embed/builder",
          "/login", "/nowhere", "/?tiles=tianditu", "/report/news-001",
          "/share/news-001", "/offline/zh_CN", "/planner/?area=620102"]


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_in_chinese_use_full_width_punctuation(shipped_app: Flask,
                                                            path: str) -> None:
    assert problems(shipped_app.test_client(), path) == []


@pytest.mark.parametrize("path", ["/edit/", "/edit/?sort=verified&stale=1", "/edit/station/a",
                                  "/edit/new", "/edit/audit", "/edit/reports/",
                                  "/admin/registry/"])
def test_editing_pages_in_chinese_use_full_width_punctuation(editor_client: FlaskClient,
                                                             path: str) -> None:
    assert problems(editor_client, path) == []
