"""Draw the app's icons (favicon, home-screen and manifest icons) into locator/static/icons/.

    .venv/bin/python scripts/build_icons.py

The icon is a white map pin on the union's red, drawn here from circles and a triangle
(no font, no image library): each pixel's coverage is the mean of 8×8 samples, and the
PNG and ICO files are written with zlib and struct. ``icon.svg`` is the same drawing as
vector art. The files are committed; this script is how they were made.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

OUT = Path(__file__).resolve().parents[1] / "locator" / "static" / "icons"
RED = (0xB3, 0x26, 0x1E)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 8

# The pin, in units of the icon's side: a circle on top of a triangle pointing down, and
# a hole in the circle. ``scale`` shrinks it about the centre (maskable icons keep their
# drawing inside the middle 80 %).
PIN_CENTRE = (0.5, 0.40)
PIN_RADIUS = 0.22
PIN_TIP = (0.5, 0.86)
HOLE_RADIUS = 0.085


def _grid(size: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    n = size * SAMPLES
    axis = (np.arange(n) + 0.5) / n
    return np.meshgrid(axis, axis)  # x to the right, y down


def _in_pin(x: NDArray[np.float64], y: NDArray[np.float64], scale: float) -> NDArray[np.bool_]:
    x = 0.5 + (x - 0.5) / scale
    y = 0.5 + (y - 0.5) / scale
    cx, cy = PIN_CENTRE
    circle = (x - cx) ** 2 + (y - cy) ** 2 <= PIN_RADIUS**2
    # the triangle between the tip and the points where its sides touch the circle
    tx, ty = PIN_TIP
    sin_a = PIN_RADIUS / (ty - cy)
    px, py = PIN_RADIUS * np.sqrt(1 - sin_a**2), PIN_RADIUS * sin_a
    corners = ((cx - px, cy + py), (cx + px, cy + py), (tx, ty))
    triangle = np.ones_like(x, dtype=bool)
    for (ax, ay), (bx, by) in zip(corners, corners[1:] + corners[:1], strict=True):
        triangle &= (bx - ax) * (y - ay) - (by - ay) * (x - ax) >= 0
    hole = (x - cx) ** 2 + (y - cy) ** 2 <= HOLE_RADIUS**2
    inside: NDArray[np.bool_] = (circle | triangle) & ~hole
    return inside


def _in_background(x: NDArray[np.float64], y: NDArray[np.float64],
                   radius: float) -> NDArray[np.bool_]:
    """A square with corners rounded by ``radius`` (0: a full square)."""
    if radius <= 0:
        return np.ones_like(x, dtype=bool)
    dx = np.maximum(np.abs(x - 0.5) - (0.5 - radius), 0)
    dy = np.maximum(np.abs(y - 0.5) - (0.5 - radius), 0)
    inside: NDArray[np.bool_] = dx**2 + dy**2 <= radius**2
    return inside


def draw(size: int, *, corner: float = 0.18, scale: float = 1.0) -> NDArray[np.uint8]:
    """RGBA pixels of the icon at ``size`` × ``size``."""
    x, y = _grid(size)
    background = _in_background(x, y, corner)
    pin = _in_pin(x, y, scale) & background
    rgba = np.zeros((*x.shape, 4), dtype=np.float64)
    rgba[background] = (*RED, 255)
    rgba[pin] = (*WHITE, 255)
    # average each SAMPLES × SAMPLES block (colours premultiplied by alpha)
    alpha = rgba[..., 3:4] / 255.0
    pre = np.concatenate([rgba[..., :3] * alpha, alpha], axis=-1)
    blocks = pre.reshape(size, SAMPLES, size, SAMPLES, 4).mean(axis=(1, 3))
    a = blocks[..., 3:4]
    colour = np.where(a > 0, blocks[..., :3] / np.maximum(a, 1e-12), 0)
    out = np.concatenate([colour, a * 255.0], axis=-1)
    pixels: NDArray[np.uint8] = np.clip(np.round(out), 0, 255).astype(np.uint8)
    return pixels


def png(pixels: NDArray[np.uint8]) -> bytes:
    """A PNG file (8-bit RGBA, no filter) of ``pixels``."""
    height, width = pixels.shape[:2]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def ico(images: list[bytes], sizes: list[int]) -> bytes:
    """An ICO file holding PNG images (every browser since 2010 reads PNG inside ICO)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, data = b"", b""
    for image, size in zip(images, sizes, strict=True):
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(image),
                               offset + len(data))
        data += image
    return header + entries + data


def svg() -> str:
    """The icon as SVG (the same geometry, in a 100 × 100 box)."""
    cx, cy = PIN_CENTRE[0] * 100, PIN_CENTRE[1] * 100
    r, tip = PIN_RADIUS * 100, PIN_TIP[1] * 100
    d = tip - cy
    sin_a = r / d
    cos_a = (1 - sin_a**2) ** 0.5
    # tangent points of the lines from the tip to the circle
    px, py = r * cos_a, r * sin_a
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        '<rect width="100" height="100" rx="18" fill="#b3261e"/>'
        f'<path fill="#fff" fill-rule="evenodd" d="M{cx - px:.2f} {cy + py:.2f} '
        f"A{r:.2f} {r:.2f} 0 1 1 {cx + px:.2f} {cy + py:.2f} L{cx:.2f} {tip:.2f} Z "
        f"M{cx - HOLE_RADIUS * 100:.2f} {cy:.2f} a{HOLE_RADIUS * 100:.2f} "
        f"{HOLE_RADIUS * 100:.2f} 0 1 0 {HOLE_RADIUS * 200:.2f} 0 a{HOLE_RADIUS * 100:.2f} "
        f'{HOLE_RADIUS * 100:.2f} 0 1 0 {-HOLE_RADIUS * 200:.2f} 0Z"/></svg>\n')


def main() -> None:
    """Write every icon file."""
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (180, 192, 512):
        (OUT / f"icon-{size}.png").write_bytes(png(draw(size)))
    # maskable: full-bleed background, the pin inside the 80 % safe circle
    (OUT / "icon-maskable-512.png").write_bytes(png(draw(512, corner=0, scale=0.72)))
    sizes = [16, 32, 48]
    (OUT / "favicon.ico").write_bytes(ico([png(draw(s)) for s in sizes], sizes))
    (OUT / "icon.svg").write_text(svg(), encoding="utf-8")
    for path in sorted(OUT.iterdir()):
        print(f"{path.relative_to(OUT.parents[2])}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
