"""The finder held in one hand: 360×640 in Chromium, against the real app on 127.0.0.1.

The nearest markers can be tapped (``elementFromPoint`` at each lands on it) and the legend
covers none of them; a filter change keeps the scroll position; a reload without signal
shows the last results with the time they were fetched; a worker's report reaches the
editors' inbox and becomes an edit; the to-verify queue pages past 500 stations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from locator.registry import audit
from locator.registry.store import open_store
from locator.stations import hours
from tests.accounts_util import PASSWORD, edit_app
from tests.conftest import PageWatch

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 640}

MARKERS = """() => {
  const ctl = document.querySelector('.folium-map').lzStations;
  const map = document.querySelector('.folium-map').getBoundingClientRect();
  const legend = document.querySelector('.lz-legend').getBoundingClientRect();
  return ctl.nearestIcons().map(icon => {
    const r = icon.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
    const hit = document.elementFromPoint(x, y);
    const overlaps = !(r.right <= legend.left || r.left >= legend.right ||
                       r.bottom <= legend.top || r.top >= legend.bottom);
    return {tapped: hit === icon || icon.contains(hit), hit: hit ? hit.className : null,
            inside: r.left >= map.left && r.right <= map.right && r.top >= map.top &&
                    r.bottom <= map.bottom, legend: overlaps};
  });
}"""


def show_map(page: Any) -> None:
    """Scroll the map fully into view and wait for its markers."""
    page.wait_for_function("document.querySelector('.folium-map').lzStations !== undefined")
    page.evaluate("document.querySelector('.folium-map').lzStations.ready")
    page.evaluate("window.scrollTo(0, 0)")
    page.evaluate("document.querySelector('.folium-map').scrollIntoView({block: 'end'})")
    page.wait_for_timeout(300)  # (Leaflet's zoom animation settles)


def test_the_nearest_five_can_be_tapped_and_the_legend_covers_none(
        shipped_app: Flask, live_server: Callable[[Flask], str],
        open_page: Callable[..., PageWatch]) -> None:
    watch = open_page(f"{live_server(shipped_app)}/?lat=36.06&lon=103.83", viewport=PHONE)
    page = watch.page
    show_map(page)
    legend = page.locator(".lz-legend-toggle")
    assert legend.get_attribute("aria-expanded") == "false"  # folded on a phone
    assert page.locator(".lz-legend-body").is_hidden()
    markers = page.evaluate(MARKERS)
    assert len(markers) == 5
    assert all(m["tapped"] for m in markers), markers
    assert all(m["inside"] for m in markers), markers  # none off the edge of the map
    assert not any(m["legend"] for m in markers), markers
    watch.screenshot("phone-map-360x640")
    legend.click()  # the button opens it
    assert legend.get_attribute("aria-expanded") == "true"
    assert "24小时智能化工会驿站" in page.locator(".lz-legend-body").inner_text()
    legend.click()
    # a popup opened on a nearest marker stays within the map
    first = page.locator(".leaflet-marker-pane .lz-nearest").first
    box = first.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector(".leaflet-popup-content .lz-popup-hours")
    page.wait_for_timeout(400)  # (the pan that keeps it on screen)
    inside = page.evaluate("""() => {
      const p = document.querySelector('.leaflet-popup').getBoundingClientRect();
      const m = document.querySelector('.folium-map').getBoundingClientRect();
      return p.top >= m.top - 1 && p.left >= m.left - 1 && p.right <= m.right + 1; }""")
    assert inside
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert "核实于" in popup or "尚未核实" in popup
    assert "报告问题" in popup and "Mo-" not in popup  # hours in words, never raw
    # Leaflet's attribution without its flag, and a metric scale only
    assert page.locator(".leaflet-control-attribution svg").count() == 0
    assert re.fullmatch(r"\d+ k?m", page.locator(".leaflet-control-scale-line").inner_text())
    assert page.locator(".leaflet-control-scale-line").count() == 1
    assert watch.errors == [] and watch.csp_violations() == []


def test_the_page_follows_the_phones_text_size(
        shipped_app: Flask, live_server: Callable[[Flask], str],
        open_page: Callable[..., PageWatch]) -> None:
    watch = open_page(f"{live_server(shipped_app)}/?lat=36.06&lon=103.83", viewport=PHONE)
    page = watch.page
    show_map(page)
    sizes = "() => [...document.querySelectorAll('li.hit h3, li.hit .hours')].map(e => " \
            "parseFloat(getComputedStyle(e).fontSize))"
    normal = page.evaluate(sizes)
    icon = page.evaluate("document.querySelector('.lz-nearest').getBoundingClientRect().width")
    page.evaluate("document.documentElement.style.fontSize = '24px'")  # a large-text setting
    large = page.evaluate(sizes)
    assert all(b == pytest.approx(a * 1.5) for a, b in zip(normal, large, strict=True))
    page.evaluate("document.querySelector('.folium-map').lzStations.replace("
                  "JSON.parse(document.querySelector('script.lz-payload').textContent))")
    page.wait_for_timeout(300)
    bigger = page.evaluate("document.querySelector('.lz-nearest').getBoundingClientRect().width")
    assert bigger == pytest.approx(icon * 1.5, abs=2)  # markers grow with the text


def test_a_filter_change_keeps_the_scroll_position(
        tiny_path: Path, live_server: Callable[[Flask], str],
        open_page: Callable[..., PageWatch]) -> None:
    from locator import create_app

    app = create_app({"TESTING": True, "REGISTRY": str(tiny_path)})
    watch = open_page(f"{live_server(app)}/?lat=36.053&lon=103.841&tiles=osm&k=4",
                      viewport=PHONE)
    page = watch.page
    page.evaluate("window.__samePage = true")  # gone if the page reloads
    page.locator("details.filters summary").click()
    box = page.get_by_label("零工市场").bounding_box()
    assert box is not None
    page.evaluate(f"window.scrollTo(0, {round(box['y']) - 300})")
    before = page.evaluate("window.scrollY")
    assert before > 150
    box = page.get_by_label("零工市场").bounding_box()  # where the thumb is now
    assert box is not None
    page.wait_for_load_state("networkidle")  # (the favicon, the answer kept offline)
    asked = len(watch.local)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => location.search.includes('kind=gig_market')")
    page.wait_for_function("() => document.querySelectorAll('li.hit').length === 1")
    assert page.evaluate("window.__samePage") is True  # no reload
    assert page.evaluate("window.scrollY") == before
    assert page.locator("li.hit").get_attribute("data-station-id") == "c"
    assert page.locator(".filter-count").inner_text() == " (1)"
    page.evaluate("document.querySelector('.folium-map').lzStations.ready")
    assert page.locator(".leaflet-marker-pane .lz-nearest").count() == 1  # the map follows
    # one request for the new results and one for the answer kept offline: no script or
    # style is loaded again (the watch's routes turn Chromium's HTTP cache off, so this
    # counts every request; only the favicon, which Chromium looks up for each history
    # entry, is asked again: from its cache, outside a test)
    assert sorted(p for p in watch.local[asked:] if not p.startswith("/static/icons/")) == [
        "/", "/api/v1/nearest"]
    page.go_back()  # back to every kind, still the same page
    page.wait_for_function("() => document.querySelectorAll('li.hit').length === 4")
    assert not page.get_by_label("零工市场").is_checked()
    assert page.evaluate("window.__samePage") is True
    assert watch.errors == [] and watch.csp_violations() == []


@pytest.fixture
def phone_context(chromium: Any) -> Iterator[Any]:
    """A phone's browser context with its service worker allowed; only 127.0.0.1 is reached."""
    context = chromium.new_context(viewport=PHONE, service_workers="allow")
    context.route(re.compile(r"^(?!http://127\.0\.0\.1)"), lambda route: route.abort())
    yield context
    context.close()


def test_a_reload_without_signal_shows_the_last_results_with_their_time(
        app: Flask, live_server: Callable[[Flask], str], phone_context: Any) -> None:
    base = live_server(app)
    page = phone_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/?lat=36.053&lon=103.841&tiles=osm&k=3", wait_until="load")
    names = page.locator("li.hit h3").all_inner_texts()
    page.wait_for_selector(".finder[data-saved-at]")  # the results are kept
    page.evaluate("navigator.serviceWorker.ready")  # the shell is kept
    fetched = hours.now().strftime("%H:%M")
    phone_context.set_offline(True)
    page.reload(wait_until="load")
    page.wait_for_selector("#offline-hits li.hit")
    banner = page.locator("#offline-banner").inner_text()
    assert banner.startswith("没有网络连接。以下是") and "获取的结果" in banner
    assert fetched in banner or hours.now().strftime("%H:%M") in banner
    assert page.locator("#offline-hits li.hit h3").all_inner_texts() == names
    assert page.locator("#offline-hits .hours").count() == 3
    assert page.locator("#offline-hits .verified").count() == 3
    phone_context.set_offline(False)
    assert errors == []


def test_a_report_goes_from_a_worker_to_the_inbox_to_an_accepted_edit(
        tmp_path: Path, tiny_path: Path, live_server: Callable[[Flask], str],
        open_page: Callable[..., PageWatch]) -> None:
    app = edit_app(tmp_path, tiny_path)
    base = live_server(app)
    worker = open_page(f"{base}/?lat=36.053&lon=103.841&tiles=osm", viewport=PHONE)
    page = worker.page
    page.locator('li.hit[data-station-id="b"] .report-link').click()
    page.wait_for_selector("form.report-form")
    page.get_by_label("缺少列出的设施").check()
    page.get_by_label("如果缺少设施，是哪一项？").select_option("water")
    page.get_by_label("还有什么想告诉工会的").fill("饮水机坏了两周")
    page.get_by_role("button", name="提交报告").click()
    page.wait_for_selector(".report-sent")
    page.goto(f"{base}/?lat=36.053&lon=103.841&tiles=osm")
    assert "有用户报告可能已变化" in page.locator('li.hit[data-station-id="b"]').inner_text()
    assert "饮水机坏了两周" not in page.content()

    editor = open_page(f"{base}/edit/reports/", viewport=PHONE)
    page = editor.page
    page.fill("input[name=name]", "editor")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_selector("table.reports")
    assert "饮水机坏了两周" in page.locator("table.reports").inner_text()
    page.get_by_role("button", name="采纳并修改").click()
    page.wait_for_selector(".report-box")
    assert not page.locator('input[name=amenities][value=water]').is_checked()
    page.click("#save")
    page.wait_for_selector("text=已保存（版本 2）")
    assert worker.errors == [] and editor.errors == []
    b = next(s for s in app.extensions["locator"].stations if s.id == "b")
    assert not b.amenities
    store = open_store(app.config["STORE"])
    try:
        steps = [e.action for e in audit.entries(store)]
    finally:
        store.close()
    assert steps[:3] == ["edit", "report_accepted", "report"]
    worker.page.goto(f"{base}/?lat=36.053&lon=103.841&tiles=osm")
    assert "有用户报告可能已变化" not in worker.page.locator("ol.hits").inner_text()


def test_the_stale_queue_pages_past_500_stations(
        tmp_path: Path, write_registry: Callable[[list[dict[str, Any]]], Path],
        live_server: Callable[[Flask], str], open_page: Callable[..., PageWatch]) -> None:
    rows = [{"id": f"s{i:04d}", "name": f"站{i}", "kind": "box_station",
             "lon": 103.80 + (i % 40) * 0.002, "lat": 36.03 + (i // 40) * 0.001,
             "verified": None if i % 2 else date(2023, 1 + i % 12, 1).isoformat()}
            for i in range(1100)]
    app = edit_app(tmp_path, write_registry(rows))
    base = live_server(app)
    watch = open_page(f"{base}/edit/?sort=verified&stale=1", viewport=PHONE)
    page = watch.page
    page.fill("input[name=name]", "editor")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_selector("table.stations")
    assert "第 1–500 个，共 1100 个驿站" in page.locator(".list-count").inner_text()
    seen = page.locator("table.stations tbody tr").count()
    page.get_by_role("link", name="下一页").first.click()
    page.wait_for_selector("text=第 501–1000 个")
    page.get_by_role("link", name="下一页").first.click()
    page.wait_for_selector("text=第 1001–1100 个")
    seen += page.locator("table.stations tbody tr").count()
    assert seen == 600
    last = page.locator("table.stations tbody tr").last.inner_text()
    assert "2023-" in last  # never verified first; the oldest verified at the end
    boxes = page.locator("input[name=verify]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="将勾选的驿站标记为今天已核实").click()
    today = hours.now().date().isoformat()
    page.wait_for_selector(f"text=已将 2 个驿站标记为 {today} 核实。")
    assert "共 1098 个驿站" in page.locator(".list-count").inner_text()
    assert watch.errors == []
