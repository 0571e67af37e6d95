"""Every label the app shows is accepted on import; the template; the README's header table."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner
from openpyxl import load_workbook

from locator.cli import main
from locator.model import AMENITY_LABELS, ENTRY_LABELS, KIND_LABELS
from locator.registry import vocab
from locator.registry.columns import HEADERS, column_map, synonyms_markdown
from locator.registry.importer import prepare
from locator.registry.messages import cli_gettext
from locator.registry.template import TEMPLATE_FIELDS, template_csv, template_xlsx

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locator" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


def zh(msgid: str) -> str:
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    message = catalog.get(msgid)
    assert message is not None and message.string, msgid
    return str(message.string)


@pytest.mark.parametrize(("labels", "lookup"), [(KIND_LABELS, vocab.kind_of),
                                                (AMENITY_LABELS, vocab.amenity_of),
                                                (ENTRY_LABELS, vocab.entry_of)])
def test_every_label_the_app_shows_is_read_back(labels: dict[object, str],
                                                lookup: object) -> None:
    for value, label in labels.items():
        for text in (label, zh(label), str(getattr(value, "value", value))):
            assert lookup(text) is value, text  # type: ignore[operator]


def test_the_template_has_chinese_headers_examples_and_a_guide() -> None:
    book = load_workbook(io.BytesIO(template_xlsx(cli_gettext("zh_CN"))), read_only=True)
    assert book.sheetnames == ["驿站", "填写说明"]
    rows = list(book["驿站"].iter_rows(values_only=True))
    assert list(rows[0]) == [HEADERS[f][0] for f, *_ in TEMPLATE_FIELDS] and len(rows) == 3
    guide = list(book["填写说明"].iter_rows(values_only=True))
    assert len(guide) == len(TEMPLATE_FIELDS) + 1 and guide[1][1] == "选填"
    columns, ignored = column_map([str(c) for c in rows[0]])
    assert ignored == () and set(columns.values()) == {f for f, *_ in TEMPLATE_FIELDS}
    english = load_workbook(io.BytesIO(template_xlsx(cli_gettext("en"))), read_only=True)
    assert english.sheetnames == ["驿站", "How to fill in"]


@pytest.mark.parametrize("data", [template_csv(), template_xlsx(cli_gettext("zh_CN"))])
def test_a_template_sent_back_with_its_examples_adds_no_station(data: bytes) -> None:
    name = "t.csv" if data.startswith(b"\xef\xbb\xbf") else "t.xlsx"
    prepared = prepare(data, name=name, boundary=None)
    assert prepared.stations == ()
    assert {p.code for p in prepared.report.problems if p.rejects} == {"example_row"}


def test_locator_template_writes_both_forms(tmp_path: Path) -> None:
    for name in ("t.xlsx", "t.csv"):
        result = CliRunner().invoke(main, ["template", "-o", str(tmp_path / name)])
        assert result.exit_code == 0 and "模板已写入" in result.output
        assert (tmp_path / name).stat().st_size > 100


def test_the_readme_lists_every_header_synonym() -> None:
    assert synonyms_markdown() in (ROOT / "README.md").read_text(encoding="utf-8")
