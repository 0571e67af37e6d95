"""Parsing ``/api/v1/nearest``'s query: the declared pydantic model vs a hand-written parser.

    .venv/bin/python bench/params.py            # 5 × 20,000 parses of each query
    .venv/bin/python bench/params.py --quick    # 3 × 5,000

Issue 13 moved the API's parameters into one declaration per endpoint
(:mod:`locator.web.api.queries`), from which the parser, the OpenAPI document and the CLI
options come. The obvious alternative is what it replaced: a parser written out by hand
with the page parser's :class:`~locator.web.params.Args` (a copy below, as the nearest
view had it). Both turn the same query strings into the same values; the figure is
microseconds per parse (best of the repeats), with a fast-path answer taking ~400 µs of
CPU in all (``bench/load.py``).
"""

from __future__ import annotations

import argparse
import sys
import timeit
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from urllib.parse import parse_qsl

from werkzeug.datastructures import MultiDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from locator.stations import hours
from locator.stations.query import Filters
from locator.web.api.queries import NearestQuery, nearest_query, parse
from locator.web.params import Args, parse_amenity, parse_kind_value

QUERIES = {
    "plain": "lat=36.06&lon=103.83&k=5",
    "filters": "lat=36.06&lon=103.83&k=5&kind=smart_station,box_station&amenity=water"
               "&open_at=now&max_distance=3000",
}


def by_hand(args: MultiDict[str, str], now: datetime) -> tuple[object, ...]:
    """The nearest view's parser before the declaration (issue 8's code)."""
    a = Args(args)
    return (a.required_number("lat", low=-90, high=90),
            a.required_number("lon", low=-180, high=180),
            a.integer("k", low=1, high=50, default=5),
            a.number("max_distance", low=0, high=20_037_509),
            Filters(kinds=frozenset(a.listed("kind", parse_kind_value)),
                    amenities=frozenset(a.listed("amenity", parse_amenity)),
                    open_at=a.moment("open_at", now=now), only_24h=a.flag("only_24h")))


def _declared(model: type[NearestQuery], args: MultiDict[str, str], now: datetime) -> Filters:
    return parse(model, args, now=now).filters()


def _best(run: Callable[[], object], number: int, repeat: int) -> float:
    """µs per call, best of ``repeat`` runs of ``number`` calls."""
    return min(timeit.repeat(run, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    """Print µs per parse for both parsers and each query."""
    parser = argparse.ArgumentParser(description="query parsing: declared vs by hand")
    parser.add_argument("--quick", action="store_true")
    opts = parser.parse_args()
    number, repeat = (5_000, 3) if opts.quick else (20_000, 5)
    model, now = nearest_query(50, 5), hours.now()
    print(f"{'query':<8} {'declared µs':>12} {'by hand µs':>11} {'ratio':>6}")
    for name, text in QUERIES.items():
        args: MultiDict[str, str] = MultiDict(parse_qsl(text))
        declared = parse(model, args, now=now)
        hand = by_hand(args, now)
        if (declared.lat, declared.lon, declared.k, declared.max_distance,
                declared.filters()) != hand:
            raise SystemExit(f"{name}: the two parsers disagree: {declared!r} vs {hand!r}")
        t_decl = _best(partial(_declared, model, args, now), number, repeat)
        t_hand = _best(partial(by_hand, args, now), number, repeat)
        print(f"{name:<8} {t_decl:>12.1f} {t_hand:>11.1f} {t_decl / t_hand:>6.2f}")


if __name__ == "__main__":
    main()
