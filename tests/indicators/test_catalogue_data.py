"""The seed catalogue shipped with iocvn (``indicators/data/catalogue.yaml``) is well formed.

These tests read the file only (no database): field names and enum values of the API
contract, Vietnamese names, formulas and weights that point at indicators of the file,
owners that are agencies seeded for every province, and enough indicators in each group.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

import iocvn
from iocvn.org.agencies import AGENCIES

CATALOGUE = Path(iocvn.__file__).parent / "indicators/data/catalogue.yaml"

CODE = re.compile(r"[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)*")
SECTOR_KEY = re.compile(r"[a-z][a-z0-9_]*")
TAG = re.compile(r"[a-z0-9][a-z0-9_]*")
VI_DIACRITIC = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]",
    re.IGNORECASE,
)
FORMULA_CHARS = re.compile(r"[A-Z0-9_.+\-*/() ]+")

VALUE_TYPES = {"number", "percent", "count", "money", "ratio"}
GROUPS = {"government", "long_term", "sector", "thematic"}
FREQUENCIES = {"daily", "weekly", "monthly", "quarterly", "half_yearly", "yearly"}
DIRECTIONS = {"higher_better", "lower_better"}
SPACE_AGGS = {"sum", "average", "weighted_average", "min", "max", "none"}
TIME_AGGS = {"sum", "average", "last", "min", "max"}
MISSING = {"skip", "zero", "carry_forward"}
SOURCES = {"manual", "computed", "dataset", "sensor", "api"}
OWNERS = {
    "VPUBND", "SNV", "STP", "STC", "SCT", "SNNMT", "SXD", "SKHCN",
    "SVHTTDL", "SGDDT", "SYT", "SDTTG", "TTT", "CA", "BCHQS", "IOC",
}  # fmt: skip
# The sector keys of the brief plus the three the README adds.
SECTORS = {
    "kinh_te", "tai_chinh", "dau_tu", "doanh_nghiep", "cong_thuong", "nong_nghiep",
    "moi_truong", "dat_dai", "xay_dung", "giao_thong", "giao_duc", "y_te", "lao_dong",
    "xa_hoi", "van_hoa", "du_lich", "khoa_hoc_cong_nghe", "chuyen_doi_so",
    "hanh_chinh_cong", "an_ninh_trat_tu", "quoc_phong", "noi_vu",
    "phong_chong_thien_tai", "tai_nguyen", "dan_toc_ton_giao",
}  # fmt: skip

REQUIRED = {
    "code", "name", "unit", "value_type", "group", "sector", "frequency", "direction",
    "space_agg", "time_agg", "missing", "formula", "decimals", "owner", "source",
    "legal_basis", "description",
}  # fmt: skip
OPTIONAL = {"carry_forward_max", "weight", "tags"}

# Codes other parts of iocvn (demo data, examples, docs) rely on.
CONTRACT_CODES = {
    "KTXH.GRDP_GROWTH",
    "DVC.TOTAL",
    "DVC.ONTIME",
    "DVC.ONTIME_RATE",
    "DVC.LATE",
    "DVC.ONLINE",
}


def _load() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    assert set(loaded) == {"indicators"}
    items = loaded["indicators"]
    assert isinstance(items, list)
    return items


ENTRIES = _load()
BY_CODE = {e["code"]: e for e in ENTRIES}
FORMULAS = {e["code"]: e["formula"] for e in ENTRIES if e.get("formula")}


def _refs(formula: str) -> set[str]:
    return {m.group(0) for m in CODE.finditer(formula)}


def _entry_id(entry: dict[str, Any]) -> str:
    return str(entry.get("code"))


each_entry = pytest.mark.parametrize("entry", ENTRIES, ids=_entry_id)


def test_catalogue_size_and_unique_codes() -> None:
    assert len(ENTRIES) >= 60
    counts = Counter(e["code"] for e in ENTRIES)
    assert [c for c, n in counts.items() if n > 1] == []
    assert len(BY_CODE) == len(ENTRIES)


def test_every_group_has_at_least_five_indicators() -> None:
    counts = Counter(e["group"] for e in ENTRIES)
    assert {g: counts[g] for g in GROUPS if counts[g] < 5} == {}


def test_at_least_six_formulas() -> None:
    assert len(FORMULAS) >= 6


def test_contract_codes_present() -> None:
    assert CONTRACT_CODES - BY_CODE.keys() == set()
    assert BY_CODE["DVC.ONTIME_RATE"]["formula"] == "100 * DVC.ONTIME / DVC.TOTAL"


@each_entry
def test_fields(entry: dict[str, Any]) -> None:
    keys = set(entry)
    assert REQUIRED - keys == set(), "missing fields"
    assert keys - REQUIRED - OPTIONAL == set(), "unknown fields"


@each_entry
def test_code(entry: dict[str, Any]) -> None:
    code = entry["code"]
    assert isinstance(code, str)
    assert CODE.fullmatch(code)
    assert "." in code  # GROUP.NAME
    assert len(code) <= 64


@each_entry
def test_enums(entry: dict[str, Any]) -> None:
    assert entry["value_type"] in VALUE_TYPES
    assert entry["group"] in GROUPS
    assert entry["frequency"] in FREQUENCIES
    assert entry["direction"] in DIRECTIONS
    assert entry["space_agg"] in SPACE_AGGS
    assert entry["time_agg"] in TIME_AGGS
    assert entry["missing"] in MISSING
    assert entry["source"] in SOURCES


@each_entry
def test_sector(entry: dict[str, Any]) -> None:
    sector = entry["sector"]
    assert isinstance(sector, str)
    assert SECTOR_KEY.fullmatch(sector)
    assert sector in SECTORS


@each_entry
def test_names(entry: dict[str, Any]) -> None:
    name = entry["name"]
    assert isinstance(name, dict)
    assert set(name) == {"vi", "en"}
    vi, en = name["vi"], name["en"]
    assert isinstance(vi, str) and vi.strip()
    assert isinstance(en, str) and en.strip()
    assert len(vi) <= 300 and len(en) <= 300
    assert VI_DIACRITIC.search(vi), "the Vietnamese name lacks diacritics"
    assert unicodedata.normalize("NFC", vi) == vi, "the Vietnamese name is not NFC"
    assert en.isascii() or not VI_DIACRITIC.search(en)


@each_entry
def test_texts(entry: dict[str, Any]) -> None:
    unit, legal, description = entry["unit"], entry["legal_basis"], entry["description"]
    assert isinstance(unit, str) and 1 <= len(unit.strip()) <= 60
    assert isinstance(legal, str) and legal.strip()
    assert isinstance(description, str) and VI_DIACRITIC.search(description)
    for text in (unit, legal, description):
        assert unicodedata.normalize("NFC", text) == text
    if entry["value_type"] == "percent":
        assert unit == "%"
    tags = entry.get("tags", [])
    assert isinstance(tags, list)
    assert all(isinstance(t, str) and TAG.fullmatch(t) for t in tags)
    assert len(tags) == len(set(tags)) <= 20


@each_entry
def test_decimals(entry: dict[str, Any]) -> None:
    decimals = entry["decimals"]
    assert isinstance(decimals, int) and not isinstance(decimals, bool)
    assert 0 <= decimals <= 3
    if entry["value_type"] == "count" and entry["formula"] is None:
        assert decimals == 0


@each_entry
def test_missing_policy(entry: dict[str, Any]) -> None:
    if entry["missing"] == "carry_forward":
        cfm = entry.get("carry_forward_max")
        assert isinstance(cfm, int) and 1 <= cfm <= 120
    else:
        assert "carry_forward_max" not in entry


@each_entry
def test_weight(entry: dict[str, Any]) -> None:
    weight = entry.get("weight")
    if entry["space_agg"] == "weighted_average":
        assert isinstance(weight, str)
        assert weight in BY_CODE, f"unknown weight {weight}"
        assert weight != entry["code"]
        assert BY_CODE[weight]["formula"] is None
    else:
        assert weight is None, "weight without weighted_average"


@each_entry
def test_owner(entry: dict[str, Any]) -> None:
    owner = entry["owner"]
    assert owner in OWNERS
    # Seeded as <province>.<ABBR> for every province; the import refuses anything else.
    assert owner in {a.abbr for a in AGENCIES}


@each_entry
def test_formula(entry: dict[str, Any]) -> None:
    formula = entry["formula"]
    if formula is None:
        assert entry["source"] != "computed"
        return
    assert isinstance(formula, str) and formula.strip()
    assert entry["source"] == "computed"
    assert FORMULA_CHARS.fullmatch(formula)
    refs = _refs(formula)
    assert refs, "a formula uses at least one indicator"
    assert refs - BY_CODE.keys() == set(), "unknown codes in the formula"
    assert entry["code"] not in refs, "the formula references itself"
    # A computed rate is recomputed from its aggregated inputs, never added up itself.
    assert entry["space_agg"] == "none"
    assert "weight" not in entry


def test_formulas_have_no_cycles() -> None:
    graph = {code: _refs(f) for code, f in FORMULAS.items()}
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(code: str, path: list[str]) -> None:
        if state.get(code) == 2 or code not in graph:
            return
        assert state.get(code) != 1, f"cycle: {' -> '.join([*path, code])}"
        state[code] = 1
        for ref in sorted(graph[code]):
            visit(ref, [*path, code])
        state[code] = 2

    for code in sorted(graph):
        visit(code, [])


def test_formulas_parse_with_the_formula_engine() -> None:
    expr = pytest.importorskip("iocvn.indicators.expr")
    for formula in FORMULAS.values():
        expr.parse(formula)
    expr.check_definitions({e["code"]: e["formula"] for e in ENTRIES})


def test_entries_validate_as_api_input() -> None:
    schemas = pytest.importorskip("iocvn.indicators.schemas")
    for entry in ENTRIES:
        schemas.IndicatorIn.model_validate(entry)
