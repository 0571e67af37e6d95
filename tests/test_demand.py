"""Demand layers: rasters with known sums, people per unit spread by area, points, bad rows."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from locator.areas.units import load_boundaries
from locator.errors import RegistryError
from locator.planning import coverage
from locator.planning.demand import DemandLayer, guess_kind, read_demand
from tests.test_coverage import LAT0, LON0, square


def geotiff(values: np.ndarray, west: float, north: float, size: float, *,
            crs: str = "EPSG:4326", nodata: float | None = None) -> bytes:
    """A one-band float32 GeoTIFF in memory, pixels ``size`` (CRS units) on a side."""
    with rasterio.MemoryFile() as mem:
        with mem.open(driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                      dtype="float32", crs=crs, nodata=nodata,
                      transform=Affine(size, 0, west, 0, -size, north)) as ds:
            ds.write(values.astype(np.float32), 1)
        return bytes(mem.read())


def test_a_raster_inside_the_grid_keeps_its_sum() -> None:
    grid = coverage.build_grid(square(3000), 9)
    rng = np.random.default_rng(1)
    values = rng.integers(0, 500, (30, 40)).astype(float)  # 100 m pixels, 4 km × 3 km
    data = geotiff(values, LON0 - 0.022, LAT0 + 0.0135, 0.0009)
    layer = read_demand(data, name="pop.tif")
    assert layer.kind == "raster" and layer.total == pytest.approx(values.sum())
    people, outside = layer.per_cell(grid)
    assert people.sum() == pytest.approx(values.sum(), rel=1e-3)  # the 0.1 % of the issue
    assert outside == pytest.approx(0.0, abs=values.sum() * 1e-3)
    assert layer.per_cell(grid)[0] is people  # kept per grid


def test_a_coarse_raster_is_spread_over_the_cells_not_dumped_on_one() -> None:
    grid = coverage.build_grid(square(3000), 9)
    one = np.array([[9000.0]])  # a single 1 km² pixel at the centre
    data = geotiff(one, LON0 - 0.0055, LAT0 + 0.0045, 0.009)
    people, _ = read_demand(data, name="coarse.tif").per_cell(grid)
    assert people.sum() == pytest.approx(9000.0)
    assert (people > 0).sum() >= 8 and people.max() < 9000.0 / 4


def test_a_projected_raster_is_read_in_its_crs() -> None:
    grid = coverage.build_grid(square(3000), 9)
    # UTM 48N metres around the test square (LON0 ~ 103.83, LAT0 ~ 36.06)
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 32648, always_xy=True).transform(LON0, LAT0)
    values = np.full((20, 20), 10.0)
    data = geotiff(values, x - 1000, y + 1000, 100.0, crs="EPSG:32648")
    people, outside = read_demand(data, name="utm.tif").per_cell(grid)
    assert people.sum() == pytest.approx(4000.0, rel=1e-3) and outside < 4


def test_nodata_is_not_people_and_negative_values_are_refused() -> None:
    values = np.array([[5.0, -9999.0], [1.0, 2.0]])
    layer = read_demand(geotiff(values, LON0, LAT0, 0.001, nodata=-9999.0), name="nd.tif")
    assert layer.total == 8.0
    bad = np.array([[5.0, -3.0]])
    with pytest.raises(RegistryError, match=r"got -3\.0 at pixel row 1, column 2"):
        read_demand(geotiff(bad, LON0, LAT0, 0.001), name="neg.tif")


@pytest.mark.parametrize(("data", "message"), [
    (b"not a tiff at all", "does not start like a TIFF"),
    (b"II*\x00" + b"\x00" * 60, "not a readable GeoTIFF"),
])
def test_non_rasters_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        read_demand(data, kind="raster", name="x.tif")


def test_a_raster_off_the_area_says_so() -> None:
    data = geotiff(np.ones((5, 5)), 10.0, 50.0, 0.01)
    with pytest.raises(RegistryError, match="does not cover the planning area"):
        read_demand(data, name="far.tif", bbox=load_boundaries().area.geometry.bounds)


def test_people_per_district_are_spread_by_area() -> None:
    bounds = load_boundaries()
    table = "区县,常住人口\n城关区,1000000\n七里河,\"560,000\"\n".encode()
    layer = read_demand(table, name="人口.csv")
    assert layer.kind == "units" and layer.total == 1_560_000 and not layer.problems
    grid = coverage.grid_for(bounds, 7)
    people, outside = layer.per_cell(grid, bounds.units)
    label = coverage.assign_units(grid, bounds.units)
    chengguan = next(i for i, u in enumerate(bounds.units) if u.code == "620102")
    cells = label == chengguan
    assert people[cells].sum() == pytest.approx(1_000_000)
    density = people[cells] / grid.area_m2[cells]
    assert density.max() == pytest.approx(density.min())  # even per m²
    assert people.sum() + outside == pytest.approx(1_560_000)


def test_bad_unit_rows_name_the_row_and_the_files_column() -> None:
    table = ("名称,人口\n城关区,100\n月球区,5\n七里河区,很多\n城关区,7\n").encode()
    layer = read_demand(table, name="bad.csv")
    found = [(p.row, p.column, p.reason[:22]) for p in layer.problems]
    assert [r for r, _, _ in found] == [3, 4, 5]
    assert found[0][1] == "名称" and "月球区" in layer.problems[0].value
    assert found[1][1] == "人口" and "must be a number" in layer.problems[1].reason
    assert "listed twice" in layer.problems[2].reason
    assert layer.total == 100


def test_points_with_weights_are_summed_per_cell() -> None:
    grid = coverage.build_grid(square(2000), 9)
    text = f"lon,lat,人口\n{LON0},{LAT0},300\n{LON0},{LAT0},200\n100,10,50\n"
    layer = read_demand(text.encode(), name="pts.csv")
    assert layer.kind == "points" and layer.total == 550
    people, outside = layer.per_cell(grid)
    assert people.max() == 500 and outside == 50


def test_kinds_are_recognised_from_the_content() -> None:
    assert guess_kind(b"II*\x00rest") == "raster"
    assert guess_kind("经度,纬度,人口\n".encode()) == "points"
    assert guess_kind("名称,人口\n".encode()) == "units"
    with pytest.raises(RegistryError, match="no people"):
        read_demand("名称,人口\n城关区,0\n".encode(), name="zero.csv")


def test_a_layer_is_reusable_across_grids() -> None:
    layer = DemandLayer("points", "p", 5.0, lon=np.array([LON0]), lat=np.array([LAT0]),
                        weight=np.array([5.0]))
    a = coverage.build_grid(square(1000), 9)
    b = coverage.build_grid(square(1000), 8)
    assert layer.per_cell(a)[0].sum() == layer.per_cell(b)[0].sum() == 5.0


def test_a_district_office_table_in_ten_thousands_with_a_bom() -> None:
    table = "\ufeff区县名称,常住人口（万人）\n城关区,128.5\n安宁区,\"31.2\"\n".encode()
    layer = read_demand(table, name="各区人口.csv")
    assert not layer.problems and dict(layer.units) == {"620102": 1_285_000.0,
                                                        "620105": 312_000.0}
