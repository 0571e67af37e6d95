"""The library imports without the web, and its layers point down (issue 13, item 2).

Each non-web subpackage is imported, every module of it, in a fresh interpreter that must
end up with neither Flask nor any Flask extension loaded; the import time is printed
beside ``locator.web.app``'s. The layers themselves are an import-linter contract
(``.importlinter``, also run by ``make lint``), checked here so ``pytest`` alone enforces it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TypedDict

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ("locator.errors", "locator.resources", "locator.geo", "locator.files",
           "locator.model", "locator.stations", "locator.areas", "locator.registry",
           "locator.planning", "locator.maps", "locator.analysis")

# Imports a module (with "all": every module below it too), then says how long that took
# and which top-level modules the interpreter holds.
_CHILD = """
import importlib, json, pkgutil, sys, time
name, below = sys.argv[1], sys.argv[2] == "all"
start = time.perf_counter()
package = importlib.import_module(name)
for info in pkgutil.walk_packages(getattr(package, "__path__", []) if below else [], name + "."):
    importlib.import_module(info.name)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "modules": len(sys.modules),
                  "top": sorted({m.partition(".")[0] for m in sys.modules})}))
"""


class Imported(TypedDict):
    """What the child reports."""

    seconds: float
    modules: int
    top: list[str]


@cache
def web_framework() -> frozenset[str]:
    """Top-level import names of Flask and of every installed distribution requiring it
    (but this one)."""
    flask_dists = {"flask"}
    for dist in metadata.distributions():
        if dist.metadata["Name"].lower() == "locator":
            continue
        for requirement in dist.requires or ():
            if re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0].lower() == "flask":
                flask_dists.add(dist.metadata["Name"].lower())
    return frozenset(top for top, dists in metadata.packages_distributions().items()
                     if any(d.lower() in flask_dists for d in dists))


def imported(name: str, *, below: bool) -> Imported:
    """Import ``name`` (and, if ``below``, all its modules) in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", _CHILD, name, "all" if below else "one"],
                          capture_output=True,
                          text=True, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    result: Imported = json.loads(done.stdout)
    return result


def test_the_web_framework_is_recognised() -> None:
    """Flask and its extensions are known by their import names (else the tests below
    would pass for want of anything to look for)."""
    assert {"flask", "flask_babel", "flask_login", "flask_wtf", "flask_compress"} <= web_framework()
    assert not {"numpy", "werkzeug", "locator"} & web_framework()


@pytest.mark.parametrize("name", ["locator", *LIBRARY])
def test_the_library_imports_without_the_web(name: str, capsys: pytest.CaptureFixture[str]
                                              ) -> None:
    """``import locator`` and every module of each non-web subpackage load no Flask."""
    below = name != "locator"  # the package alone: its subpackages include the web
    result = imported(name, below=below)
    loaded = web_framework() & set(result["top"])
    with capsys.disabled():
        print(f"\n  import {name}{' (all modules)' if below else ''}: "
              f"{result['seconds']:.3f} s, {result['modules']} modules in sys.modules")
    assert not loaded, f"importing {name} loaded {sorted(loaded)}"


def test_the_web_app_imports_the_web(capsys: pytest.CaptureFixture[str]) -> None:
    """The comparison: the app factory's module loads Flask and its extensions."""
    result = imported("locator.web.app", below=False)
    with capsys.disabled():
        print(f"\n  import locator.web.app: {result['seconds']:.3f} s, "
              f"{result['modules']} modules in sys.modules")
    assert {"flask", "flask_babel", "flask_login"} <= set(result["top"])


def test_layers_point_down_and_nothing_imports_in_a_circle() -> None:
    """The import-linter contracts in ``.importlinter``: the layer order, no cycle between
    sibling packages or modules, no web framework below ``locator.web``. (Its own process:
    in this one, import-linter's logging set-up would silence every other logger.)"""
    done = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache",
                           "--no-logo"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_readme_tree_names_every_module() -> None:
    """A newcomer finds every module in the README's architecture section (it once left out
    20 of them): each package as ``name/`` and each module by its file name."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Architecture\n", 1)[1].split("\n## ", 1)[0]
    package = ROOT / "locator"
    missing = []
    for path in sorted(package.rglob("*.py")):
        if path.name != "__init__.py" and path.name not in section:
            missing.append(str(path.relative_to(ROOT)))
        if path.name == "__init__.py" and path.parent != package \
                and f"{path.parent.name}/" not in section:
            missing.append(f"{path.parent.relative_to(ROOT)}/")
    assert missing == [], "modules missing from the README's architecture tree"
