"""Build hook: every wheel carries the compiled translation catalogues.

The ``.mo`` files are build products (gitignored; ``make`` compiles them in a checkout for
``make run`` and the tests). A wheel or ``pip install .`` compiles each
``locator/translations/*/LC_MESSAGES/*.po`` into the build directory itself, as
``pybabel compile --use-fuzzy`` does, so an install from a clean clone serves Chinese
pages without ``make``. Babel is a build requirement (pyproject.toml). The rest of the
configuration is declarative, in setup.cfg.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogues(build_py):
    """``build_py`` that also writes ``messages.mo`` next to each ``messages.po``."""

    def run(self) -> None:
        """Copy the package as usual, then compile the catalogues into it."""
        super().run()
        if self.editable_mode:  # an editable install reads the checkout, where make compiles
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(Path("locator/translations").glob("*/LC_MESSAGES/*.po")):
            target = Path(self.build_lib) / po.with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parts[-3])
            with target.open("wb") as out:
                write_mo(out, catalog, use_fuzzy=True)


setup(cmdclass={"build_py": BuildWithCatalogues})
