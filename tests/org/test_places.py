"""Addresses naming a commune, by its current or its pre-2025 name (Lạng Sơn)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from iocvn.org.places import commune_from_address


@pytest.mark.parametrize(
    ("address", "code", "former"),
    [
        ("Số 5 Trần Đăng Ninh, Phường Đông Kinh, Lạng Sơn", "05977", False),
        ("so 5 tran dang ninh, phuong dong kinh", "05977", False),
        ("Ngõ 3, phường Vĩnh Trại, TP Lạng Sơn", "05977", True),  # merged into Đông Kinh
        ("Thôn Nà Chuông, xã Mai Pha", "05977", True),
        ("12 Lê Lợi, P. Chi Lăng", "05983", True),  # now Lương Văn Tri
        ("P.Tam Thanh", "05986", False),
    ],
)
def test_addresses_name_their_commune(
    lang_son: Session, address: str, code: str, former: bool
) -> None:
    place = commune_from_address(lang_son, "20", address)
    assert place is not None
    assert (place.code, place.former) == (code, former)


@pytest.mark.parametrize(
    "address",
    ["", "Đường Đông Kinh", "gần chợ", "Phường Hoàn Kiếm, Hà Nội", "xã"],
)
def test_addresses_without_a_commune(lang_son: Session, address: str) -> None:
    assert commune_from_address(lang_son, "20", address) is None
