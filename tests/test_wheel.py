"""A built wheel, installed into a fresh venv, serves the finder, planner, embed and API.

The wheel is built (``pip wheel``, build isolation as a user's build has) from a copy of
only what the build reads — no compiled ``.mo``, so the build hook in ``setup.py`` must
compile it — and installed without dependencies into a new venv. That venv sees the dev
venv's third-party packages through a ``.pth`` line (nothing is downloaded) but not the
checkout, and the analysis extra (pandas, geopandas, pyogrio) is hidden from it as if not
installed: ``locator`` comes from the wheel and the server runs without the extra.
gunicorn serves it from a temporary folder; every page must show the shipped stations, in
Chinese.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from locator.registry import load_registry
from locator.web.service import DEFAULT_REGISTRY

ROOT = Path(__file__).resolve().parents[1]
BUILD_INPUTS = ("setup.py", "setup.cfg", "pyproject.toml", "README.md", "LICENSE")
HIDDEN = ("pandas", "geopandas", "pyogrio")  # the analysis extra
DEADLINE_S = 120.0  # generous: this machine compiles the app from source at every start
LAT, LON = 36.06, 103.83

# Loaded at the fresh venv's start (a .pth "import" line): the extra's packages cannot be
# found, exactly as when they are not installed.
_HIDE = f'''
import sys
from importlib.abc import MetaPathFinder

class _NotInstalled(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {HIDDEN!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _NotInstalled())
'''


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A venv holding only the built wheel (and the dev venv's dependencies, minus the
    analysis extra), and the environment to run it in."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "locator", source / "locator",
                    ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    output = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", tmp / "dist",
                  source, cwd=tmp)
    wheels = list((tmp / "dist").glob("locator-*.whl"))
    assert len(wheels) == 1, output
    # no setuptools warnings (about LICENSE, package data...); pip's own "WARNING:" lines
    # are this machine's pip configuration
    assert not re.search(r"[A-Za-z]+Warning\b", output), output
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    python = venv / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         wheels[0], cwd=tmp)
    # only now (pip must not see the dev venv's editable locator and replace it)
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                     cwd=tmp).strip())
    (site / "_hide_analysis.py").write_text(_HIDE, encoding="utf-8")
    (site / "_hide_analysis.pth").write_text("import _hide_analysis\n", encoding="utf-8")
    dev = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "dev-venv.pth").write_text("".join(f"{p}\n" for p in sorted(dev)), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(
        ("LOCATOR_", "FLASK_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE"))}
    yield python, env


def test_the_wheel_holds_the_licence_and_the_compiled_catalogue(
        fresh: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    python, env = fresh
    found = json.loads(_run(python, "-c", """
import json, importlib.metadata as md, locator
from locator import resources
try:
    import pandas
    pandas_found = True
except ModuleNotFoundError:
    pandas_found = False
print(json.dumps({"locator": locator.__file__, "pandas": pandas_found,
                  "files": [str(f) for f in md.files("locator") or ()],
                  "templates": resources.templates_dir().is_dir(),
                  "demo": resources.lanzhou("stations_demo.geojson").is_file()}))
""", cwd=tmp_path, env=env))
    assert Path(found["locator"]).is_relative_to(python.parents[1]), found["locator"]
    assert not Path(found["locator"]).is_relative_to(ROOT)
    assert found["pandas"] is False  # the extra is hidden: the server below runs without it
    assert found["templates"] and found["demo"]
    assert "locator/translations/zh/LC_MESSAGES/messages.mo" in found["files"]
    assert any(f.endswith("licenses/LICENSE") for f in found["files"])


def test_the_installed_wheel_serves_every_kind_of_page(fresh: tuple[Path, dict[str, str]],
                                                        tmp_path: Path) -> None:
    """gunicorn from a temporary folder: /, /planner/, /embed and /api/v1/nearest answer
    with the shipped stations, in Chinese."""
    python, env = fresh
    shipped = load_registry(DEFAULT_REGISTRY)
    nearest = [h.station for h in shipped.index.query(LON, LAT, k=5)]
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as sink:
        server = subprocess.Popen(
            [str(python), "-m", "gunicorn", "-c", "python:locator.web.gunicorn_conf",
             "--workers", "1", "--bind", f"127.0.0.1:{port}", "locator:create_app()"],
            cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        until = time.monotonic() + DEADLINE_S
        while True:
            try:
                status, api = _get(port, f"/api/v1/nearest?lat={LAT}&lon={LON}&k=5")
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < until, log.read_text()
                time.sleep(0.2)
        assert status == 200, api
        features = json.loads(api)["features"]
        assert [f["id"] for f in features] == [s.id for s in nearest]
        pages = {"/": "<title>工会驿站查找 · 兰州</title>",
                 "/planner/": "<title>站点覆盖分析（规划用） · 兰州</title>",
                 "/embed": "<title>最近的工会驿站</title>"}
        for path, title in pages.items():
            status, html = _get(port, f"{path}?lat={LAT}&lon={LON}")
            assert status == 200, (path, html[:2000], log.read_text())
            assert title in html, path  # the wheel's compiled Chinese catalogue
            assert nearest[0].name in html, path
    finally:
        server.terminate()
        server.wait(timeout=60)
