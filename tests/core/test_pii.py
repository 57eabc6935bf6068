"""Sealing, blind indexes and masks of citizens' personal data (core/pii.py)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from iocvn.core import pii
from iocvn.core.crypto import KeyMissing, new_data_key

OLD, NEW = new_data_key(), new_data_key()


@given(st.text(max_size=200))
def test_seal_round_trip_and_never_plaintext(text: str) -> None:
    sealed = pii.seal(text, OLD, "feedback.phone")
    assert pii.open_sealed(sealed, OLD, "feedback.phone") == text
    if len(text) >= 8:  # shorter strings may turn up in random base64 by chance
        assert text not in sealed


def test_each_seal_uses_a_fresh_nonce() -> None:
    assert pii.seal("0912345678", OLD, "f") != pii.seal("0912345678", OLD, "f")


def test_a_sealed_value_is_bound_to_its_field() -> None:
    sealed = pii.seal("Nguyễn Thị Hoa", OLD, "feedback.name")
    with pytest.raises(KeyMissing):
        pii.open_sealed(sealed, OLD, "feedback.phone")


def test_rotation_new_key_seals_old_key_still_opens() -> None:
    old = pii.seal("0912345678", OLD, "f")
    rotated = f"{NEW},{OLD}"
    assert pii.open_sealed(old, rotated, "f") == "0912345678"
    assert not pii.sealed_with_current_key(old, rotated)
    new = pii.seal("0912345678", rotated, "f")
    assert pii.sealed_with_current_key(new, rotated)
    with pytest.raises(KeyMissing):
        pii.open_sealed(new, OLD, "f")  # the retired key alone cannot open new values


def test_tampering_is_detected() -> None:
    sealed = pii.seal("0912345678", OLD, "f")
    head, body = sealed.rsplit(".", 1)
    blob = bytearray(base64.urlsafe_b64decode(body))
    for at in (0, 12, len(blob) - 1):  # the nonce, the ciphertext, the tag
        changed = bytearray(blob)
        changed[at] ^= 0x01
        flipped = base64.urlsafe_b64encode(bytes(changed)).decode()
        with pytest.raises(KeyMissing):
            pii.open_sealed(f"{head}.{flipped}", OLD, "f")
    with pytest.raises(KeyMissing):
        pii.open_sealed("not a sealed value", OLD, "f")
    with pytest.raises(KeyMissing):
        pii.seal("x", "", "f")


def test_blind_index_is_keyed_stable_and_survives_rotation() -> None:
    index = pii.blind_index("0912345678", OLD, "phone")
    assert index == pii.blind_index("0912345678", OLD, "phone")
    assert index != pii.blind_index("0912345679", OLD, "phone")
    assert index != pii.blind_index("0912345678", NEW, "phone")
    assert index != pii.blind_index("0912345678", OLD, "email")
    assert "0912345678" not in index
    assert index in pii.blind_indexes("0912345678", f"{NEW},{OLD}", "phone")


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("0912 345 678", "0912345678"),
        ("+84 912-345-678", "0912345678"),
        ("84912345678", "0912345678"),
        ("(0205) 3870 123", "02053870123"),
        ("+1 202 555 0100", "+12025550100"),
    ],
)
def test_phone_numbers_are_normalised(raw: str, normal: str) -> None:
    assert pii.normalise_phone(raw) == normal


def test_masks() -> None:
    assert pii.mask_phone("0912345678") == "09******78"
    assert pii.mask_email("Hoa.NT@example.vn") == "H***@example.vn"
    assert pii.mask_name("Nguyễn Thị Hoa") == "N. T. H."
    assert pii.mask_id_number("001203004567") == "********4567"
    assert pii.mask_phone("123") == "***"


@given(st.text(alphabet="0123456789 +-()", max_size=20))
@example("+8-4")  # once "+84", which the next call turned into "0"
def test_normalise_phone_is_idempotent(raw: str) -> None:
    once = pii.normalise_phone(raw)
    assert pii.normalise_phone(once) == once
