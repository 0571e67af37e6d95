"""WCAG 2.1 A/AA checks with axe-core (Deque's engine, vendored in tests/vendor) in Chromium.

Contrast, names and labels, landmarks, language, zoom: every rule axe tags wcag2a, wcag2aa,
wcag21a or wcag21aa, on the finder (Chinese and English, filters on and off, both tile
datums), the embed widget and its builder, the planner and its printable report, the
sign-in page and the API docs, at a phone's 360×640 and a desktop's 1280×800.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import PageWatch

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.11.4" / "axe.min.js"
PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 800}
RUN = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag',
      values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return result.violations.map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3)
      .map(n => n.target.join(' ') + ' — ' + n.failureSummary).join(' | '));
}"""


def axe_violations(page: Any) -> list[str]:
    """Run axe-core in the page (evaluated over DevTools, so a page's CSP cannot block it)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return list(page.evaluate(RUN))


MARKERS = ".leaflet-marker-pane .lz-icon, .leaflet-marker-pane .marker-cluster"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360x640", "1280x800"])
@pytest.mark.parametrize(("path", "ready"), [
    ("/?lat=36.06&lon=103.83&tiles=osm", MARKERS),
    ("/?lat=36.06&lon=103.83&tiles=amap&lang=en", MARKERS),
    ("/?lat=36.06&lon=103.83&kind=box_station&amenity=water&open=now&walk_in=1", MARKERS),
    ("/?q=yanchang", MARKERS),
    ("/?place=u:620102002&q=%E5%85%B0%E5%A4%A7", MARKERS),  # an estimated origin (issue 15)
    ("/embed?lat=36.06&lon=103.83", MARKERS),
    ("/embed/builder", "#builder-snippet"),
    ("/planner/?n=3", ".lz-site"),
    ("/planner/report?n=3", ".lz-site"),
    ("/login", "form"),
    ("/api/v1/docs", "main, body"),
])
def test_pages_pass_axe_wcag21_aa(shipped_app: Flask, live_server: Callable[[Flask], str],
                                  open_page: Callable[..., PageWatch], path: str, ready: str,
                                  viewport: dict[str, int]) -> None:
    watch = open_page(live_server(shipped_app) + path, viewport=viewport)
    watch.page.wait_for_selector(ready, state="attached")
    assert axe_violations(watch.page) == []
    assert watch.errors == []


def test_axe_finds_a_planted_violation(shipped_app: Flask, live_server: Callable[[Flask], str],
                                       open_page: Callable[..., PageWatch]) -> None:
    """The check can fail: grey-on-white text and an unlabelled input are caught."""
    watch = open_page(live_server(shipped_app) + "/?lat=36.06&lon=103.83", viewport=PHONE)
    watch.page.evaluate("""() => {
        const p = document.createElement('p');
        p.textContent = '低对比度'; p.style.color = '#bbb'; p.style.background = '#fff';
        document.querySelector('main, body').appendChild(p);
        document.querySelector('main, body').appendChild(document.createElement('input'));
    }""")
    found = " ".join(axe_violations(watch.page))
    assert "color-contrast" in found and "label" in found


@pytest.mark.parametrize("path", ["/?tiles=osm", "/embed", "/planner/?n=1"])
def test_attribution_links_are_underlined(shipped_app: Flask, live_server: Callable[[Flask], str],
                                          open_page: Callable[..., PageWatch],
                                          path: str) -> None:
    # told apart from the text around them by more than a colour of 2.4:1 contrast (axe's
    # link-in-text-block: it failed a CI run whenever axe could judge the control's background)
    watch = open_page(live_server(shipped_app) + path, viewport=PHONE)
    watch.page.wait_for_selector(".leaflet-control-attribution a", state="attached")
    lines = watch.page.eval_on_selector_all(
        ".leaflet-control-attribution a",
        "els => els.map(e => getComputedStyle(e).textDecorationLine)")
    assert lines and all(line == "underline" for line in lines), lines
