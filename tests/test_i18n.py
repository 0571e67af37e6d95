"""Every user-facing string in code and templates has a Chinese translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locator" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
METHODS = [("locator/**.py", "python"), ("locator/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}


def extracted() -> set[str]:
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_every_string_is_translated_into_chinese() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    translated = {(m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalog
                  if m.id and m.string and all(m.string if isinstance(m.string, tuple)
                                               else [m.string])}
    missing = sorted(extracted() - translated)
    assert missing == [], f"untranslated (run `make messages` and fill the .po): {missing}"


def test_extraction_finds_the_known_strings() -> None:
    ids = extracted()
    assert "Trade-union station finder" in ids and "24-hour smart station" in ids
