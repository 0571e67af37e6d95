"""Rewrite the README's settings table from :class:`locator.settings.Settings`.

    python scripts/settings_table.py          # rewrite README.md in place
    python scripts/settings_table.py --check  # exit 1 when README.md is out of date

The table sits between ``<!-- settings:start -->`` and ``<!-- settings:end -->``;
``tests/test_config.py`` fails when it differs from the model.
"""

from __future__ import annotations

import sys
from pathlib import Path

from locator.settings import settings_table

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- settings:start -->\n", "<!-- settings:end -->"


def rewritten(text: str) -> str:
    """``text`` with the table between the markers replaced by the model's."""
    if START not in text or END not in text:
        raise SystemExit(f"{README}: markers {START.strip()} … {END} not found")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}{settings_table()}{END}{tail}"


def main() -> int:
    """Rewrite or check the README."""
    text = README.read_text(encoding="utf-8")
    new = rewritten(text)
    if "--check" in sys.argv[1:]:
        return 0 if new == text else 1
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
