"""The embed widget in Chromium: framed from an allowed origin, refused from another; the
builder's snippet shows what its preview shows. Two host sites are two tiny Flask apps on
127.0.0.1 with their own ports (so, their own origins)."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from locator import create_app
from tests.conftest import PageWatch

pytestmark = pytest.mark.browser

WIDGET = "/embed?lat=36.053&lon=103.841&k=2&tiles=osm&lang=en"


def host_site(name: str, content: dict[str, str]) -> Flask:
    """A stranger's site whose page holds ``content["body"]`` (set once our URL is known)."""
    host = Flask(name)

    @host.get("/")
    def page() -> str:
        return f"<!doctype html><title>{name}</title><h1>{name}</h1>{content['body']}"

    return host


def iframe(src: str, frame_id: str = "w") -> str:
    return (f'<iframe id="{frame_id}" src="{html.escape(src)}" width="400" height="400" '
            'allow="geolocation"></iframe>')


@pytest.fixture
def sites(tiny_path: Path, live_server: Callable[[Flask], str],
          ) -> tuple[str, str, str, dict[str, str], dict[str, str]]:
    """(locator URL, allowed host URL, other host URL, allowed page, other page)."""
    allowed_page: dict[str, str] = {"body": ""}
    other_page: dict[str, str] = {"body": ""}
    allowed = live_server(host_site("allowed", allowed_page))
    other = live_server(host_site("other", other_page))
    app = create_app({"TESTING": True, "REGISTRY": str(tiny_path),
                      "EMBED_ALLOWED_ORIGINS": [allowed]})
    return live_server(app), allowed, other, allowed_page, other_page


def child(watch: PageWatch, frame_id: str = "w") -> Any:
    """The Playwright frame of the page's ``<iframe id=frame_id>``."""
    for frame in watch.page.frames:
        if frame.parent_frame is not None and frame.frame_element().get_attribute(
                "id") == frame_id:
            return frame
    raise LookupError(f"no iframe with id {frame_id!r}")


def test_widget_embeds_from_an_allowed_origin_only(
        sites: tuple[str, str, str, dict[str, str], dict[str, str]],
        open_page: Callable[..., PageWatch]) -> None:
    base, allowed, other, allowed_page, other_page = sites
    allowed_page["body"] = iframe(base + WIDGET) + iframe(base + "/", "finder")
    other_page["body"] = iframe(base + WIDGET)

    shown = open_page(allowed + "/")
    widget = shown.page.frame_locator("#w")
    widget.locator(".embed-hit").first.wait_for()
    assert widget.locator(".embed-hit .embed-name").all_inner_texts() == ["甲站", "乙站"]
    widget.locator(".leaflet-marker-pane .lz-nearest").first.wait_for()
    assert child(shown).url.startswith(base + "/embed")
    # the finder page itself refuses every frame, even on the allowed site
    assert child(shown, "finder").url.startswith("chrome-error://")
    assert shown.errors == []

    refused = open_page(other + "/")
    assert child(refused).url.startswith("chrome-error://")
    assert refused.page.frame_locator("#w").locator(".embed-hit").count() == 0
    assert "/embed" in refused.local  # served, then refused by the browser for its headers


@pytest.mark.parametrize("how", ["button", "locate=1"])
def test_use_my_location_inside_the_frame(
        sites: tuple[str, str, str, dict[str, str], dict[str, str]],
        open_page: Callable[..., PageWatch], how: str) -> None:
    base, allowed, _, allowed_page, _ = sites
    allowed_page["body"] = iframe(base + WIDGET + ("&locate=1" if how == "locate=1" else ""))
    watch = open_page(allowed + "/", permissions=["geolocation"],
                      geolocation={"latitude": 36.0632, "longitude": 103.8401})
    widget = watch.page.frame_locator("#w")
    if how == "button":
        widget.locator(".embed-hit").first.wait_for()
        widget.locator(".embed-locate").click()
    widget.locator("body").locator("text=You are here").first.wait_for()
    assert "here=1" in child(watch).url
    assert widget.locator(".embed-hit .embed-name").first.inner_text() == "丙站"


def test_builder_snippet_reproduces_its_preview(
        sites: tuple[str, str, str, dict[str, str], dict[str, str]],
        open_page: Callable[..., PageWatch]) -> None:
    base, allowed, _, allowed_page, _ = sites
    builder = open_page(base + "/embed/builder?lang=en")
    page = builder.page
    page.fill("input[name=lat]", "36.053")
    page.fill("input[name=lon]", "103.841")
    page.fill("input[name=k]", "3")
    page.select_option("select[name=tiles]", "osm")
    page.select_option("select[name=lang]", "en")
    page.check("input[name=kind][value=box_station]")
    page.check("input[name=kind][value=gig_market]")
    page.check("input[name=amenity][value=water]")
    page.wait_for_function("""() => {
        const f = document.getElementById('builder-preview');
        const d = f.contentDocument;
        return f.src.includes('amenity=water') && f.src.includes('k=3')
          && d && d.location.href === f.src && d.querySelectorAll('.embed-hit').length > 0;
    }""")
    preview = page.frame_locator("#builder-preview")
    previewed = preview.locator(".embed-hit").evaluate_all(
        "els => els.map(e => e.dataset.stationId)")
    assert previewed == ["b", "c"]  # box or gig-market stations with water, nearest first
    snippet = page.input_value("#builder-snippet")
    src = page.evaluate("s => new DOMParser().parseFromString(s, 'text/html')"
                        ".querySelector('iframe').src", snippet)
    assert src == page.get_attribute("#builder-preview", "src")
    assert 'allow="geolocation"' in snippet

    allowed_page["body"] = snippet  # the site owner pastes it
    pasted = open_page(allowed + "/")
    frame = pasted.page.frame_locator("iframe")
    frame.locator(".embed-hit").first.wait_for()
    assert frame.locator(".embed-hit").evaluate_all(
        "els => els.map(e => e.dataset.stationId)") == previewed
    assert builder.errors == [] and pasted.errors == []
