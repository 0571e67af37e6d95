"""The registry template a district office fills in: Chinese headers, two example rows and a
sheet that explains every column and the values it accepts.

Served as ``/admin/registry/template.xlsx`` and ``.csv`` and written by ``locator template``.
The example rows' names start with ``示例``; an import refuses such rows, so a template sent
back with its examples still in it adds no invented station. The explanation is rendered
with the caller's ``gettext`` (Chinese on the page by default, English with ``?lang=en``);
the headers are always the Chinese ones the importer recognises first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from locator.model import N_
from locator.registry.columns import HEADERS

__all__ = ["TEMPLATE_FIELDS", "template_csv", "template_xlsx"]

Gettext = Callable[[str], str]

#: the template's columns: field, whether required, what it means, values accepted
TEMPLATE_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("id", N_("optional"), N_("The station's own number. Leave the column out or blank and "
                              "each row gets an id made from its name and address."),
     N_("any text or number, unique in the file")),
    ("name", N_("required"), N_("The station's name as workers know it."), N_("text")),
    ("kind", N_("required"), N_("What kind of station it is."),
     N_("24小时智能化工会驿站, 箱体驿站, 零工市场, 劳动公园, 司机之家, 服务职工综合体, "
        "产业工人培育阵地, 合作站点; also 户外劳动者服务站(点) and 工会驿站 (box station), "
        "爱心驿站 (partner site)")),
    ("address", N_("required without coordinates"),
     N_("Street address. A row without coordinates is placed at the centre of the smallest "
        "district, subdistrict or community its address or unit columns name, and shown as "
        "approximate."), N_("e.g. 城关区雁南街道南河社区南滨河东路")),
    ("district_code", N_("optional"), N_("The district or county, by name or code."),
     N_("城关区 or 620102")),
    ("subdistrict_code", N_("optional"), N_("The subdistrict or town, by name or code."),
     N_("雁南街道 or 620102003")),
    ("community_code", N_("optional"), N_("The community or village, by name."), N_("南河社区")),
    ("lon", N_("optional"), N_("Longitude as the map you picked it on shows it."),
     N_("e.g. 103.86")),
    ("lat", N_("optional"), N_("Latitude as the map you picked it on shows it."),
     N_("e.g. 36.06")),
    ("datum", N_("optional"), N_("Which map the coordinates were picked on; rows without it use "
                                 "the choice made when uploading."),
     N_("高德 (GCJ-02), 百度 (BD-09), GPS (WGS-84)")),
    ("opening_hours", N_("optional"), N_("Opening hours as you write them; what cannot be read is "
                                         "kept and shown as unknown."),
     N_("24小时, 8:00-20:00, 周一至周五 9:00-17:30, 周末休息, 节假日休息, 法定节假日照常开放")),
    ("amenities", N_("optional"), N_("What the station offers, separated by 、 or commas."),
     N_("饮用水, 取暖, 防暑降温, 热饭（微波炉）, 手机充电, 电动车充电, 卫生间, 休息座椅, 急救药箱, "
        "无线网络, 母婴室, 储物柜, 法律援助")),
    ("phone", N_("optional"), N_("Phone numbers, several separated by 、"),
     N_("0931-8123456, 13812345678, 400-123-4567, 12351")),
    ("entry", N_("optional"), N_("How a worker gets in."), N_("直接进入, 扫码进入, 需先登记")),
    ("note", N_("optional"), N_("Anything else."), N_("text")),
)

_EXAMPLES: tuple[dict[str, str], ...] = (
    {"id": "", "name": "示例：城关区某某工会驿站（导入前请删除本行）",
     "kind": "24小时智能化工会驿站",
     "address": "城关区雁南街道南河社区南滨河东路", "district_code": "城关区",
     "subdistrict_code": "雁南街道", "community_code": "南河社区", "lon": "103.8712",
     "lat": "36.0645", "datum": "高德", "opening_hours": "24小时",
     "amenities": "饮用水、手机充电、卫生间", "phone": "0931-8123456", "entry": "扫码进入",
     "note": "示例行"},
    {"id": "", "name": "示例：七里河区某某爱心驿站（导入前请删除本行）", "kind": "爱心驿站",
     "address": "七里河区敦煌路街道", "district_code": "七里河区", "subdistrict_code": "敦煌路街道",
     "community_code": "", "lon": "", "lat": "", "datum": "",
     "opening_hours": "周一至周五 9:00-17:30，节假日休息", "amenities": "热饭（微波炉）、休息座椅",
     "phone": "13812345678", "entry": "直接进入", "note": "示例行：没有坐标，按地址定位"},
)


def _headers() -> list[str]:
    return [HEADERS[field][0] for field, *_ in TEMPLATE_FIELDS]


def _examples() -> list[list[str]]:
    return [[row[field] for field, *_ in TEMPLATE_FIELDS] for row in _EXAMPLES]


def template_csv() -> bytes:
    """The template's first sheet as CSV (UTF-8 with BOM, so Excel shows the Chinese)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_headers())
    writer.writerows(_examples())
    return out.getvalue().encode("utf-8-sig")


def template_xlsx(gettext: Gettext) -> bytes:
    """The template workbook: sheet 驿站 (headers and the two examples) and a sheet that
    explains each column, in the language of ``gettext``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    if sheet is None:  # (a new workbook always has one; for the type checker)
        sheet = book.create_sheet()
    sheet.title = "驿站"
    sheet.append(_headers())
    for row in _examples():
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index in range(1, len(TEMPLATE_FIELDS) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 18
    guide = book.create_sheet(gettext("How to fill in"))
    guide.append([gettext("Column"), gettext("Required"), gettext("Meaning"),
                  gettext("Accepted values"), gettext("Other headers recognised")])
    for field, required, meaning, accepted in TEMPLATE_FIELDS:
        guide.append([HEADERS[field][0], gettext(required), gettext(meaning), gettext(accepted),
                      "、".join(HEADERS[field][1:])])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDE", (14, 16, 60, 60, 40), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
