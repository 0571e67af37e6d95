"""The station model: kinds, amenities, entry methods and the :class:`Station` record.

Pure data, no I/O. Labels are English message ids marked with :func:`N_` so
Babel extracts them; the web layer translates them (Chinese by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from locator.geo.datum import Datum

__all__ = [
    "AMENITY_LABELS",
    "ENTRY_LABELS",
    "KIND_LABELS",
    "N_",
    "Amenity",
    "Entry",
    "Kind",
    "Station",
]


def N_(message: str) -> str:
    """Mark a string for translation without translating it here."""
    return message


class Kind(StrEnum):
    """The seven kinds of the union's service network, plus partner sites."""

    SMART_STATION = "smart_station"  # 24小时智能化工会驿站
    BOX_STATION = "box_station"  # 箱体驿站
    GIG_MARKET = "gig_market"  # 零工市场
    LABOR_PARK = "labor_park"  # 劳动公园
    DRIVERS_HOME = "drivers_home"  # 司机之家
    SERVICE_COMPLEX = "service_complex"  # 服务职工综合体
    TRAINING_BASE = "training_base"  # 产业工人培育阵地
    PARTNER = "partner"  # 合作站点 (a bank, shop or petrol station that hosts workers)


KIND_LABELS: dict[Kind, str] = {
    Kind.SMART_STATION: N_("24-hour smart station"),
    Kind.BOX_STATION: N_("Box station"),
    Kind.GIG_MARKET: N_("Gig-work market"),
    Kind.LABOR_PARK: N_("Labor park"),
    Kind.DRIVERS_HOME: N_("Drivers' home"),
    Kind.SERVICE_COMPLEX: N_("Worker-service complex"),
    Kind.TRAINING_BASE: N_("Worker-training base"),
    Kind.PARTNER: N_("Partner site"),
}

# The Chinese names as the union writes them; accepted as input aliases by readers.
KIND_NAMES_ZH: dict[Kind, str] = {
    Kind.SMART_STATION: "24小时智能化工会驿站",
    Kind.BOX_STATION: "箱体驿站",
    Kind.GIG_MARKET: "零工市场",
    Kind.LABOR_PARK: "劳动公园",
    Kind.DRIVERS_HOME: "司机之家",
    Kind.SERVICE_COMPLEX: "服务职工综合体",
    Kind.TRAINING_BASE: "产业工人培育阵地",
    Kind.PARTNER: "合作站点",
}


class Amenity(StrEnum):
    """What a station offers a worker."""

    WATER = "water"
    HEATING = "heating"
    COOLING = "cooling"
    MICROWAVE = "microwave"
    PHONE_CHARGING = "phone_charging"
    EBIKE_CHARGING = "ebike_charging"
    TOILET = "toilet"
    SEATING = "seating"
    FIRST_AID = "first_aid"
    WIFI = "wifi"
    NURSING_ROOM = "nursing_room"
    LOCKERS = "lockers"
    LEGAL_AID = "legal_aid"


AMENITY_LABELS: dict[Amenity, str] = {
    Amenity.WATER: N_("Drinking water"),
    Amenity.HEATING: N_("Heating"),
    Amenity.COOLING: N_("Cooling"),
    Amenity.MICROWAVE: N_("Meal heating (microwave)"),
    Amenity.PHONE_CHARGING: N_("Phone charging"),
    Amenity.EBIKE_CHARGING: N_("E-bike charging"),
    Amenity.TOILET: N_("Toilet"),
    Amenity.SEATING: N_("Rest seats"),
    Amenity.FIRST_AID: N_("First aid"),
    Amenity.WIFI: N_("Wi-Fi"),
    Amenity.NURSING_ROOM: N_("Mother-and-baby room"),
    Amenity.LOCKERS: N_("Lockers"),
    Amenity.LEGAL_AID: N_("Legal aid"),
}


class Entry(StrEnum):
    """How a worker gets in."""

    OPEN = "open"
    QR_CODE = "qr_code"
    REGISTRATION = "registration"


ENTRY_LABELS: dict[Entry, str] = {
    Entry.OPEN: N_("Walk in"),
    Entry.QR_CODE: N_("Scan a QR code"),
    Entry.REGISTRATION: N_("Register first"),
}


@dataclass(frozen=True, slots=True)
class Station:
    """One service point of the network.

    Coordinates are WGS-84 degrees; ``lon``/``lat`` are ``None`` when the
    location is unknown (such stations are listed but never ranked by distance).
    ``datum`` records the datum the coordinate was *given* in before conversion.
    ``precision_m`` is how far the true entrance may be from the point.
    ``synthetic`` is True for generated demonstration records, never for real ones.
    ``phone`` holds checked numbers separated by ``;`` (:attr:`phones`). ``hours_text`` is
    the opening hours as the source wrote them when that differs from ``opening_hours``
    (``周一至周五 9:00-17:30``; kept too when the hours could not be read, and are unknown).
    ``geocoded`` names the administrative level (``district``, ``subdistrict``,
    ``community``) whose label point stands in for a location the source did not give:
    the station was placed by its address, ``precision_m`` says how roughly.
    """

    id: str
    name: str
    kind: Kind
    lon: float | None
    lat: float | None
    amenities: frozenset[Amenity] = field(default_factory=frozenset)
    opening_hours: str | None = None
    entry: Entry | None = None
    address: str = ""
    district_code: str | None = None
    subdistrict_code: str | None = None
    community_code: str | None = None
    source: str = ""
    datum: Datum = Datum.WGS84
    precision_m: float | None = None
    verified: date | None = None
    synthetic: bool = False
    note: str = ""
    phone: str = ""
    hours_text: str = ""
    geocoded: str | None = None

    @property
    def located(self) -> bool:
        """True when the station has a usable coordinate."""
        return (self.lon is not None and self.lat is not None
                and math.isfinite(self.lon) and math.isfinite(self.lat))

    @property
    def phones(self) -> tuple[str, ...]:
        """The station's phone numbers (``0931-8123456``, ``13812345678``…)."""
        return tuple(p for p in self.phone.split(";") if p)

    @property
    def always_open(self) -> bool:
        """True when the opening hours say ``24/7``."""
        return (self.opening_hours or "").replace(" ", "") == "24/7"
