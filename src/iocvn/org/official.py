"""Reference data of the official administrative list, and the name normaliser.

Reads the list after 1 July 2025 and the old→new conversion table from the MIT-licensed
``vietnamadminunits`` package (its SQLite file opened read-only where it is installed,
never copied), and the boundary files shipped in ``iocvn/org/data``. Pure functions with
caches: no database session, no writes.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from iocvn.core.errors import NotFound
from iocvn.org import messages  # noqa: F401  (registers the domain's texts)
from iocvn.org.schemas import ProvinceInfo

BOUNDARY_FILES = {"20": "lang-son-boundaries.geojson"}  # packaged in iocvn/org/data/
BOUNDARY_SOURCE = "thanglequoc/vietnamese-provinces-database, MIT, snapshot 11/03/2026"

# Unit types that may prefix a name, longest first so "thị xã" wins over "xã".
UNIT_TYPES = ("thành phố", "thị trấn", "thị xã", "đặc khu", "phường", "huyện", "quận", "tỉnh", "xã")
_FOLDED_TYPES = ("thanh pho", "thi tran", "thi xa", "dac khu", "phuong")


def fold(text: str) -> str:
    """Lower-case ASCII form of a Vietnamese name: ``Phường Đông Kinh`` → ``phuong dong kinh``."""
    text = unicodedata.normalize("NFKD", text).lower()
    text = unicodedata.normalize("NFKD", text)  # lower() can recompose or add marks
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("đ", "d").replace("ð", "d")
    return " ".join(text.split())


def strip_unit_type(name: str) -> str:
    """The folded name without a leading unit type: ``Xã Hòa Bình`` → ``hoa binh``."""
    lowered = " ".join(unicodedata.normalize("NFC", name).lower().split())
    for unit_type in UNIT_TYPES:
        if lowered.startswith(unit_type + " "):
            return fold(lowered[len(unit_type) :])
    folded = fold(name)
    if folded != lowered:
        return folded  # written with accents and no type word: nothing to strip
    # Typed without accents: "xa", "quan" or "tinh" may begin the name itself (Quan Sơn,
    # Tĩnh Túc), so only the unambiguous multi-word types are stripped.
    for unit_type in _FOLDED_TYPES:
        if folded.startswith(unit_type + " "):
            return folded[len(unit_type) + 1 :]
    return folded


def search_key(level: str, code: str, name: str, short_name: str) -> str:
    """Folded names for accent-insensitive search and ordering (short name first for places)."""
    if level == "agency":
        parts = [fold(name), fold(short_name), code.partition(".")[2].lower()]
    else:
        parts = [fold(short_name), fold(name)]
    return "|".join(dict.fromkeys(p for p in parts if p))[:400]


@dataclass(frozen=True)
class OldNameQuery:
    """A question about a pre-2025 unit: ``Hòa Bình (huyện Hữu Lũng)`` or ``vinh trai``."""

    full: str  # folded, with its type: "xa hoa binh"
    core: str  # folded, without its type: "hoa binh"
    qualifier: str  # folded district, without its type: "huu lung"

    @classmethod
    def parse(cls, query: str) -> OldNameQuery:
        """Split a name from an optional district given in brackets or after a comma."""
        text = unicodedata.normalize("NFC", query).strip()
        ward, _, qualifier = re.sub(r"\s*,\s*", " (", text, count=1).partition(" (")
        qualifier = qualifier.strip(" ()")
        return cls(
            fold(ward), strip_unit_type(ward), strip_unit_type(qualifier) if qualifier else ""
        )

    def rank(self, label: str) -> int | None:
        """How a ``formed_from`` label matches: 0 same name, 1 same but type, 2 contains, None."""
        text = unicodedata.normalize("NFC", label).removeprefix("một phần ")
        ward, _, qualifier = text.partition(" (")
        if self.qualifier and f" {self.qualifier} " not in f" {fold(qualifier.strip(' ()'))} ":
            return None
        core = strip_unit_type(ward)
        if fold(ward) == self.full:
            return 0
        if core == self.core:
            return 1
        return 2 if f" {self.core} " in f" {core} " else None


@dataclass(frozen=True)
class OfficialUnit:
    """A unit of the official list: a province (with its communes) or a commune."""

    code: str
    name: str
    short_name: str
    unit_type: str
    key: str
    lat: float | None
    lon: float | None
    area_km2: float | None = None
    communes: tuple[OfficialUnit, ...] = ()


@dataclass(frozen=True)
class _Old:
    """A pre-2025 unit named in the conversion table."""

    ward: str
    district: str
    partial: bool = False

    def label(self, *, partial: bool | None = None) -> str:
        """``Phường Vĩnh Trại (Thành phố Lạng Sơn)``; ``một phần …`` when it was split."""
        text = f"{self.ward} ({self.district})" if self.district else self.ward
        return f"một phần {text}" if (self.partial if partial is None else partial) else text


@contextmanager
def _dataset() -> Iterator[sqlite3.Connection]:
    ref = resources.files("vietnamadminunits").joinpath("data", "dataset.db")
    with resources.as_file(ref) as path:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            yield conn
        finally:
            conn.close()


@lru_cache(maxsize=1)
def _provinces() -> dict[str, OfficialUnit]:
    with _dataset() as conn:
        rows = conn.execute(
            "SELECT provinceCode, province, provinceShort, provinceKey, provinceLat, provinceLon,"
            " wardCode, ward, wardShort, wardType, wardKey, wardLat, wardLon, wardAreaKm2"
            " FROM admin_units ORDER BY provinceCode, wardCode"
        ).fetchall()
    heads: dict[str, tuple[Any, ...]] = {}
    communes: dict[str, list[OfficialUnit]] = {}
    for row in rows:
        heads.setdefault(row[0], row[:6])
        area = row[13] or None  # 0.0 in the package means unknown
        code, name, short_name, unit_type, key, lat, lon = row[6:13]
        communes.setdefault(row[0], []).append(
            OfficialUnit(code, name, short_name, unit_type, key, lat, lon, area)
        )
    return {
        code: OfficialUnit(
            code,
            name,
            short,
            name.removesuffix(short).strip(),
            key,
            lat,
            lon,
            None,
            tuple(communes[code]),
        )
        for code, name, short, key, lat, lon in heads.values()
    }


def get_province(code: str) -> OfficialUnit:
    """A province of the official list; ``unknown_province`` (404) lists the valid codes."""
    provinces = _provinces()
    if code not in provinces:
        raise NotFound(
            "unknown_province", details={"valid_codes": sorted(provinces)}, province=code
        )
    return provinces[code]


@lru_cache(maxsize=1)
def _legacy() -> dict[str, _Old]:
    """Pre-2025 units by the package's ``province_district_ward`` key."""
    with _dataset() as conn:
        rows = conn.execute(
            "SELECT provinceKey, districtKey, wardKey, ward, district FROM admin_units_legacy"
        ).fetchall()
    found = {}
    for province, district_key, ward_key, ward, district in rows:
        # Island districts had no communes: the district itself is the old unit.
        old = _Old(ward, district) if ward else _Old(district, "")
        found[f"{province}_{district_key}_{ward_key or ''}"] = old
    return found


@lru_cache(maxsize=1)
def _converter() -> dict[str, Any]:
    ref = resources.files("vietnamadminunits").joinpath("data", "converter_2025.json")
    data: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return data


def _package_olds(province: OfficialUnit) -> dict[str, list[_Old]]:
    conv, legacy = _converter(), _legacy()
    whole = conv["DICT_PROVINCE_WARD_NO_DIVIDED"].get(province.key, {})
    split: dict[str, list[str]] = {}
    for old_key, targets in conv["DICT_PROVINCE_WARD_DIVIDED"].get(province.key, {}).items():
        for target in targets:
            split.setdefault(target["newWardKey"], []).append(old_key)

    def old(key: str, partial: bool) -> _Old:
        found = legacy.get(key, _Old(key, ""))
        return _Old(found.ward, found.district, partial)

    return {
        c.code: [old(k, False) for k in whole.get(c.key, [])]
        + [old(k, True) for k in split.get(c.key, [])]
        for c in province.communes
    }


def package_formed_from(province_code: str) -> dict[str, list[str]]:
    """Pre-2025 units of each commune as the package's conversion table gives them."""
    olds = _package_olds(get_province(province_code))
    return {code: [o.label() for o in items] for code, items in olds.items()}


@lru_cache(maxsize=64)
def _formed_from(province_code: str) -> dict[str, tuple[str, ...]]:
    province = get_province(province_code)
    olds = _package_olds(province)
    official = {
        c: f["properties"].get("formed_from") for c, f in packaged_features(province_code).items()
    }
    if not any(official.values()):
        return {code: tuple(o.label() for o in items) for code, items in olds.items()}
    old_provinces = tuple(f"{k}_" for k in _converter()["DICT_PROVINCE"].get(province.key, []))
    everywhere = [o for k, o in _legacy().items() if k.startswith(old_provinces)]
    return {
        code: _merge_official(official.get(code), items, everywhere) for code, items in olds.items()
    }


def _merge_official(text: str | None, olds: list[_Old], everywhere: list[_Old]) -> tuple[str, ...]:
    """The official list of a shipped boundary file, with districts named as the package does."""
    if not text:
        return tuple(o.label() for o in olds)
    labels = []
    for item in (p.strip() for p in re.split(r",|\svà\s", text) if p.strip()):
        match = re.fullmatch(r"(.+?)\s*(?:\(([^()]*)\))?", item)
        ward, qualifier = (match.group(1), match.group(2)) if match else (item, None)

        def same(o: _Old, ward: str = ward, qualifier: str | None = qualifier) -> bool:
            return fold(o.ward) == fold(ward) and (
                not qualifier or fold(o.district) == fold(qualifier)
            )

        found = [o for o in olds if same(o)]
        found = [o for o in found if not o.partial] or found
        found = found or [o for o in everywhere if same(o)]
        labels.append(found[0].label(partial=False) if len(found) == 1 else item)
    return tuple(labels)


def formed_from(province_code: str) -> dict[str, list[str]]:
    """Pre-2025 units of each commune: the official list when shipped, else the package's."""
    return {code: list(items) for code, items in _formed_from(province_code).items()}


def list_provinces() -> list[ProvinceInfo]:
    """The 34 provinces and centrally-run cities, by official code."""
    return [
        ProvinceInfo(
            code=p.code,
            name=p.name,
            short_name=p.short_name,
            unit_type=p.unit_type,
            commune_count=len(p.communes),
            has_boundaries=p.code in BOUNDARY_FILES,
        )
        for p in _provinces().values()
    ]


@lru_cache(maxsize=4)
def _packaged(province_code: str) -> dict[str, Any] | None:
    name = BOUNDARY_FILES.get(province_code)
    if name is None:
        return None
    text = resources.files("iocvn.org").joinpath("data", name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def packaged_features(province_code: str) -> dict[str, dict[str, Any]]:
    """Features of the boundary file shipped for a province, by code (empty when none)."""
    data = _packaged(province_code)
    if data is None:
        return {}
    return {str(f["properties"]["code"]): f for f in data["features"]}
