"""The served plans: one query, one cache and one function behind the planner page, its
downloads, ``/api/v1/coverage`` and ``locator coverage``/``suggest``.

A :class:`PlanQuery` is parsed from the page's or the API's parameters, both on one grid
of values (radius in steps of 50 m, minutes in steps of 0.5, at most 20 sites) so that
equal questions are equal keys. :func:`compute` makes the :class:`~locator.planning.plan.Plan`
with the deployment's stored demand layer and candidate sites (:mod:`locator.planning.inputstore`)
and imported areas; :func:`plan_for` keeps the last plans per registry version and sends
every cache miss through :mod:`locator.web.http.admission`. Suggestions are always worked
out for 20 sites and cut to ``n`` (greedy choices are nested), so a new ``n`` costs nothing.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from flask import current_app

from locator.areas.store import areas_for
from locator.areas.units import LEVELS, AdminUnit, default_level, load_boundaries
from locator.errors import QueryError, RegistryError
from locator.files.problems import Problem
from locator.model import Amenity, Kind
from locator.planning import inputstore
from locator.planning.coverage import grid_for
from locator.planning.demand import DemandLayer, read_demand
from locator.planning.inputs import read_candidates
from locator.planning.plan import POOLS, Plan, make_plan, partner_candidates
from locator.planning.siting import Candidate
from locator.registry import Registry
from locator.stations.query import Filters
from locator.web.config import settings
from locator.web.http import admission
from locator.web.params import Args, parse_amenity, parse_kind_value
from locator.web.service import current_registry, registry_version

__all__ = ["MAX_SITES", "MINUTES", "RADIUS", "PlanQuery", "api_query", "candidates_input",
           "compute", "demand_input", "page_query", "plan_for", "planned", "registry_label",
           "store_input"]

RADIUS = (50.0, 50_000.0, 50.0)  #: metres: lowest, highest, step
MINUTES = (0.5, 180.0, 0.5)  #: minutes: lowest, highest, step
MAX_SITES = 20
COMPARE = ("", "sites", "target")
_CACHE_SIZE = 16
_cache: OrderedDict[tuple[Any, ...], tuple[Registry, Plan]] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class PlanQuery:
    """One planner question, on the parameter grid."""

    area: str
    level: str
    radius: float | None
    minutes: float | None
    mode: str
    n: int
    kinds: tuple[str, ...]
    amenities: tuple[str, ...]
    pool: str
    resolution: int
    compare: str = ""
    radius2: float | None = None
    minutes2: float | None = None

    @property
    def filters(self) -> Filters | None:
        """The station filters (``None``: every station counts)."""
        if not (self.kinds or self.amenities):
            return None
        return Filters(kinds=frozenset(Kind(k) for k in self.kinds),
                       amenities=frozenset(Amenity(a) for a in self.amenities))


def _stepped(args: Args, name: str, grid: tuple[float, float, float],
             default: float | None = None) -> float | None:
    low, high, step = grid
    value = args.number(name, low=low, high=high, default=default)
    if value is not None and not math.isclose(value / step, round(value / step),
                                              rel_tol=0, abs_tol=1e-6):
        raise QueryError(name, f"{name} must be a multiple of {step:g} between {low:g} and "
                               f"{high:g}, got {value:g}")
    return value


def _target(args: Args, radius: str, minutes: str, default: float | None
            ) -> tuple[float | None, float | None]:
    mins = _stepped(args, minutes, MINUTES)
    if mins is not None and args.raw(radius) is not None:
        raise QueryError(minutes, f"give {radius} or {minutes}, not both (got "
                                  f"{args.raw(radius)!r} and {args.raw(minutes)!r})")
    return (None if mins is not None else _stepped(args, radius, RADIUS, default)), mins


def _common(args: Args, area: str, radius: str) -> dict[str, Any]:
    city = load_boundaries()
    r, m = _target(args, radius, "minutes", 1000.0)
    mode = args.raw("mode") or "walk"
    if mode not in ("walk", "ebike"):
        raise QueryError("mode", f"mode must be walk or ebike, got {mode!r}")
    level = args.raw("level") or default_level(None if area == city.area.code else area)
    if level not in LEVELS:
        raise QueryError("level", f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    city.district(area)  # NotFound for an unknown code, before any work
    kinds = tuple(sorted({k.value for k in args.multi("kind", parse_kind_value)}))
    amenities = tuple(sorted({a.value for a in args.multi("amenity", parse_amenity)}))
    return {"area": area, "level": level, "radius": r, "minutes": m, "mode": mode,
            "kinds": kinds, "amenities": amenities}


def page_query(args: Args) -> PlanQuery:
    """The planner page's question: ``area``, ``radius`` or ``minutes`` + ``mode``, ``level``,
    ``kind``, ``n``, ``pool``, ``compare`` (``sites`` or ``target`` with ``radius2`` /
    ``minutes2``).

    Raises
    ------
    QueryError
        Naming the parameter and the value.
    NotFound
        For an unknown area code.
    """
    area = args.raw("area") or load_boundaries().area.code
    common = _common(args, area, "radius")
    pool = args.raw("pool") or "grid"
    if pool not in POOLS:
        raise QueryError("pool", f"pool must be one of {', '.join(POOLS)}, got {pool!r}")
    compare = args.raw("compare") or ""
    if compare not in COMPARE:
        raise QueryError("compare", f"compare must be sites or target, got {compare!r}")
    r2, m2 = _target(args, "radius2", "minutes2", None) if compare == "target" else (None, None)
    if compare == "target" and r2 is None and m2 is None:
        raise QueryError("radius2", "compare=target needs radius2 or minutes2")
    return PlanQuery(**common, n=args.integer("n", low=0, high=MAX_SITES, default=3),
                     pool=pool, resolution=settings().planner_resolution,
                     compare=compare, radius2=r2, minutes2=m2)


def api_query(*, district: str | None, level: str | None, radius_m: float | None,
              minutes: float | None, mode: str, kinds: Iterable[Kind],
              amenities: Iterable[Amenity], resolution: int) -> PlanQuery:
    """``/api/v1/coverage``'s question, from its checked parameters
    (:class:`locator.web.api.queries.CoverageQuery`): 1000 m when neither ``radius_m`` nor
    ``minutes`` is given, districts for the city and subdistricts inside a district.

    Raises
    ------
    NotFound
        For an unknown district code.
    """
    city = load_boundaries()
    area = district or city.area.code
    level = level or default_level(None if area == city.area.code else area)
    city.district(area)  # NotFound for an unknown code, before any work
    radius = None if minutes is not None else (radius_m or 1000.0)
    return PlanQuery(area=area, level=level, radius=radius, minutes=minutes, mode=mode,
                     kinds=tuple(sorted(k.value for k in kinds)),
                     amenities=tuple(sorted(a.value for a in amenities)), n=0, pool="grid",
                     resolution=resolution)


def _read_demand(data: bytes, meta: dict[str, Any]) -> DemandLayer:
    return read_demand(data, kind=meta.get("kind"), name=str(meta.get("source", "demand")),
                       level=str(meta.get("level") or "district"),
                       datum=str(meta.get("datum") or "wgs84"), bbox=load_boundaries().area
                       .geometry.bounds, max_bytes=max(len(data), 1))


def _read_candidates(data: bytes, meta: dict[str, Any]) -> list[Candidate]:
    return read_candidates(data, datum=str(meta.get("datum") or "wgs84"),
                           name=str(meta.get("source", "candidates")))[0]


def demand_input() -> inputstore.Stored | None:
    """The deployment's stored demand layer (``value``: a :class:`DemandLayer`), if any."""
    folder = inputstore.data_dir(current_app.config, current_app.instance_path)
    return inputstore.load(folder, "demand", _read_demand)


def candidates_input() -> inputstore.Stored | None:
    """The deployment's stored candidate sites (``value``: Candidates), if any."""
    folder = inputstore.data_dir(current_app.config, current_app.instance_path)
    return inputstore.load(folder, "candidates", _read_candidates)


def _named() -> dict[str, Sequence[AdminUnit]]:
    out: dict[str, Sequence[AdminUnit]] = {}
    for level in ("subdistrict", "community"):
        stored = areas_for(current_app.config, current_app.instance_path, level)
        if stored is not None:
            out[level] = stored.units
    return out


def registry_label(registry: Registry) -> str:
    """The registry version a plan was made from, as exports record it."""
    version = registry_version(registry)
    if version is not None:
        return f"store version {version}"
    return "files: " + ", ".join(f.rsplit("/", 1)[-1] for f in registry.report.files)


def compute(q: PlanQuery, *, demand: DemandLayer | None = None,
            candidates: list[Candidate] | None = None, use_stored: bool = True,
            step: Callable[[str], None] | None = None, sites: int | None = None) -> Plan:
    """The plan for ``q`` from the served registry (in an app context), no cache, no gate.

    ``demand``/``candidates`` replace the stored ones (the CLI's ``--demand`` and
    ``--candidates``); ``use_stored=False`` ignores the stored ones.
    """
    registry = current_registry()
    bounds = load_boundaries().district(q.area)
    named = _named()
    stored = areas_for(current_app.config, current_app.instance_path, q.level)
    areas = None if stored is None else stored.units
    if demand is None and use_stored:
        found = demand_input()
        demand = None if found is None else found.value
    people, outside = None, 0.0
    if demand is not None:
        units: Sequence[AdminUnit] = ()
        if demand.kind == "units":
            units = (load_boundaries().units if demand.level == "district"
                     else named.get(demand.level, ()))
        people, outside = demand.per_cell(grid_for(bounds, q.resolution), units)
    pool_sites: list[Candidate] | None = None
    if q.pool == "partner":
        pool_sites = partner_candidates(registry.stations)
    elif q.pool == "file":
        if candidates is None and use_stored:
            found_c = candidates_input()
            candidates = None if found_c is None else found_c.value
        if candidates is None:
            raise QueryError("pool", "no candidate file was uploaded (planner inputs page or "
                                     "locator inputs add candidates FILE)")
        pool_sites = candidates
    filters = q.filters
    if q.pool == "partner":  # partners are the candidates: they are not yet stations
        counted = set(q.kinds) or {k.value for k in Kind}
        counted.discard(Kind.PARTNER.value)
        filters = Filters(kinds=frozenset(Kind(k) for k in counted),
                          amenities=frozenset(Amenity(a) for a in q.amenities))
    plan = make_plan(
        registry.index, bounds, resolution=q.resolution, radius_m=q.radius, minutes=q.minutes,
        mode="ebike" if q.mode == "ebike" else "walk", filters=filters,
        sites=MAX_SITES if sites is None and q.n else (sites or 0),
        candidates=pool_sites, pool=q.pool, people=people,
        demand="" if demand is None else demand.name, people_outside=outside,
        settled_m=settings().planner_settled_m, step=step, level=q.level,
        areas=areas, named=named, registry_stations=registry.stations)
    return replace(plan, registry=registry_label(registry))


def _stamps() -> tuple[Any, ...]:
    out: list[Any] = []
    for level in ("subdistrict", "community"):
        stored = areas_for(current_app.config, current_app.instance_path, level)
        out.append(None if stored is None else stored.stamp)
    for found in (demand_input(), candidates_input()):
        out.append(None if found is None else found.stamp)
    return tuple(out)


@contextlib.contextmanager
def planned(q: PlanQuery) -> Iterator[Plan]:
    """The (cached) plan for ``q``, for the body of a ``with``; a cache miss is admitted like
    any heavy work (:mod:`locator.web.http.admission`) and keeps its slot until the body,
    e.g. drawing the page, is done: one worker at most is busy with new plans.

    Raises
    ------
    Busy, RateLimited
        From :func:`locator.web.http.admission.admitted`.
    """
    registry = current_registry()
    key = (id(registry), replace(q, n=min(q.n, 1), compare="", radius2=None, minutes2=None),
           _stamps())
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] is registry:
            _cache.move_to_end(key)
    if hit is not None and hit[0] is registry:
        yield hit[1].first(q.n)
        return
    with admission.admitted():
        with _lock:  # another request may have made it while this one waited
            hit = _cache.get(key)
        if hit is None or hit[0] is not registry:
            hit = (registry, admission.low_priority(lambda: compute(q)))
            with _lock:
                _cache[key] = hit
                while len(_cache) > _CACHE_SIZE:
                    _cache.popitem(last=False)
        yield hit[1].first(q.n)


def plan_for(q: PlanQuery) -> Plan:
    """The (cached) plan for ``q`` (:func:`planned` without a body)."""
    with planned(q) as plan:
        return plan


def store_input(what: str, data: bytes, name: str, *, kind: str | None = None,
                level: str = "district", datum: str = "wgs84", by: str = "",
                allow_partial: bool = False) -> tuple[dict[str, Any] | None,
                                                      tuple[Problem, ...]]:
    """Check an uploaded demand layer or candidate file and store it as the new version.

    Nothing is stored when a row was refused, unless ``allow_partial``; the answer is the
    stored meta (``None`` if nothing was stored) and the refused rows.

    Raises
    ------
    RegistryError
        When the file cannot be read at all, gives no people / no site, or names
        subdistricts or communities whose polygons are not imported.
    """
    meta: dict[str, Any] = {"source": name, "datum": datum, "by": by}
    problems: tuple[Problem, ...]
    if level not in LEVELS:
        raise RegistryError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    if what == "demand":
        layer = read_demand(data, kind=kind, name=name, level=level, datum=datum,
                            bbox=load_boundaries().area.geometry.bounds,
                            max_bytes=settings().import_max_bytes)
        problems = layer.problems
        if layer.kind == "units" and level != "district" and level not in _named():
            raise RegistryError(f"{name}: people per {level} need the {level} polygons, and "
                                f"none are imported (locator areas import … --level {level})",
                                file=name)
        meta.update(kind=layer.kind, level=layer.level or None, people=round(layer.total, 1),
                    rows=len(layer.units) or (len(layer.weight) if layer.weight is not None
                                              else None))
    elif what == "candidates":
        found, problems = read_candidates(data, datum=datum, name=name)
        if not found:
            raise RegistryError(f"{name}: no candidate site in this file", file=name)
        meta.update(sites=len(found))
    else:
        raise RegistryError(f"planner input must be demand or candidates, got {what!r}")
    meta["rejected"] = len(problems)
    if problems and not allow_partial:
        return None, problems
    folder = inputstore.data_dir(current_app.config, current_app.instance_path)
    return inputstore.save(folder, what, data, meta), problems
