"""Runtime requirements are what the package imports (issue 13, item 7).

Every third-party module imported anywhere in ``locator/`` (at the top of a module or
inside a function) is declared in ``install_requires``, except ``locator.analysis``,
whose GeoDataFrame stack is the ``analysis`` extra; and everything declared is imported,
but for the few needed without an import statement (listed here with the reason).
"""

from __future__ import annotations

import ast
import configparser
import re
import sys
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "locator"
ANALYSIS = PACKAGE / "analysis.py"
NOT_IMPORTED = {
    "gunicorn": "serves the app (make serve); the package holds only its settings",
    "defusedxml": "openpyxl parses XLSX uploads safely only when it is installed",
}


def _names(requirements: str) -> set[str]:
    """Normalised distribution names of a setup.cfg requirement list."""
    names = set()
    for line in requirements.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(_normal(re.split(r"[\s\[<>=!~;]", line, maxsplit=1)[0]))
    return names


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def _declared() -> dict[str, set[str]]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    return {"install": _names(cfg["options"]["install_requires"]),
            **{extra: _names(value) for extra, value in cfg["options.extras_require"].items()}}


def _imported(files: Iterable[Path]) -> set[str]:
    """Distributions of the third-party modules the files import (absolute imports)."""
    tops: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops.update(a.name.partition(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops.add(node.module.partition(".")[0])
    tops -= {"locator", "__future__", *sys.stdlib_module_names}
    owners = _owners()
    missing = sorted(t for t in tops if t not in owners)
    assert not missing, f"imported but not installed: {missing}"
    return {_normal(d) for t in tops for d in owners[t]}


@cache
def _owners() -> dict[str, list[str]]:
    """Top-level import names → the installed distributions providing them."""
    return dict(metadata.packages_distributions())


def _runtime_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if p != ANALYSIS]


def test_what_the_package_imports_is_declared() -> None:
    undeclared = _imported(_runtime_files()) - _declared()["install"]
    assert not undeclared, f"add to install_requires: {sorted(undeclared)}"


def test_everything_declared_is_imported() -> None:
    unused = _declared()["install"] - _imported(_runtime_files()) - set(NOT_IMPORTED)
    assert not unused, f"install_requires lists what locator never imports: {sorted(unused)}"



def test_the_analysis_extra_is_what_locator_analysis_needs_beyond_the_runtime() -> None:
    """pandas, geopandas and pyogrio are the extra, not runtime requirements."""
    extra = _declared()["analysis"]
    assert {"geopandas", "pandas", "pyogrio"} <= extra
    assert not extra & _declared()["install"]
    assert _imported([ANALYSIS]) - _declared()["install"] <= extra
    assert not extra & _imported(_runtime_files())
