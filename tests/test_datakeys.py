"""``iocvn data-keys``: a new key put first, every value re-encrypted, the old key dropped,
and everything still readable and findable; a missing key is reported, nothing touched."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from iocvn.alerts import contacts
from iocvn.alerts.models_notify import AlertContactPoint
from iocvn.audit.models import AuditEntry
from iocvn.auth import credentials
from iocvn.auth.scope import OrgScope
from iocvn.cli import app as cli
from iocvn.config import get_settings
from iocvn.core import rekey
from iocvn.core.context import Actor
from iocvn.core.crypto import new_data_key
from iocvn.datakeys import ENCRYPTED
from iocvn.feedback import cases
from iocvn.feedback.models import Feedback
from iocvn.notify import service as notify
from tests.factories.alert_notify import contact
from tests.factories.auth import add_user, totp_of
from tests.factories.feedback import PHONE, province, report

EMAIL = "hoa.nt@example.vn"


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set ``IOCVN_DATA_KEYS`` for the rest of the test (the session's key back after)."""

    def use(*chosen: str) -> str:
        monkeypatch.setenv("IOCVN_DATA_KEYS", ",".join(chosen))
        get_settings.cache_clear()
        return ",".join(chosen)

    yield use
    get_settings.cache_clear()


def _stored(session: Session) -> dict[str, Any]:
    """One of each encrypted thing, written under the session's key."""
    province(session)
    case = report(session, email=EMAIL, id_number="001203004567").case
    message = notify.enqueue(session, "sms", PHONE, "Tin nhắn", "Nội dung", "test.rekey")
    session.commit()
    point = contact(session, "email", "truc.ban@example.vn")
    user = add_user(session, "quantri.khoa", "admin", "20", mfa=True)
    session.commit()
    return {"case": case.id, "message": message.id, "stamp": message.updated_at,
            "point": point.id, "user": user.id, "totp": totp_of(user).secret}  # fmt: skip


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["data-keys", *args])


def test_rotation_end_to_end(session: Session, keys: Any) -> None:
    old = get_settings().data_keys
    made = _stored(session)
    new = new_data_key()
    keys(new, old)

    before = _invoke("status")
    assert before.exit_code == 0, before.output
    assert "values to re-encrypt" in before.output
    assert "feedback.reporter_phone" in before.output and "users.totp_secret" in before.output

    done = _invoke("rekey", "--batch", "2")
    assert done.exit_code == 0, done.output
    assert "re-encrypted: 7" in done.output  # name, phone, e-mail, ID, SMS, contact, TOTP
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.action == "data_keys.rekey")
    ).scalar_one()
    assert entry.after["feedback.reporter_phone"] == {"rekeyed": 1, "unreadable": 0, "changed": 0}

    only_new = keys(new)  # the old key retired
    after = _invoke("status")
    assert after.exit_code == 0 and "every value is under the current key" in after.output
    session.expire_all()
    case = session.get(Feedback, made["case"])
    assert case is not None
    shown = cases.reveal(session, Actor("ioc"), OrgScope("province", "20", "20"), case, "Xác minh "
                         "phản ánh theo yêu cầu của lãnh đạo", only_new)  # fmt: skip
    assert shown == {"name": "Nguyễn Thị Hoa", "phone": "0912345678", "email": EMAIL,
                     "id_number": "001203004567"}  # fmt: skip
    assert [c.id for c in cases.find_by_phone(session, PHONE, only_new, None)] == [case.id]
    found = notify.list_notifications(session, destination=("sms", PHONE))
    assert [m.id for m in found] == [made["message"]]
    assert found[0].updated_at == made["stamp"]  # a re-key is not an edit
    point = session.get(AlertContactPoint, made["point"])
    assert point is not None and contacts.destination_of(point) == "truc.ban@example.vn"
    user = session.get(credentials.User, made["user"])
    assert user is not None and credentials.totp_secret(user) == made["totp"]

    session.commit()  # the reveal's audit entry (a writer on SQLite)
    again = _invoke("rekey")
    assert again.exit_code == 0 and "re-encrypted: 0" in again.output


def test_a_missing_key_is_reported_and_nothing_is_touched(session: Session, keys: Any) -> None:
    made = _stored(session)
    stored = session.get(Feedback, made["case"])
    assert stored is not None
    sealed = stored.reporter_phone
    keys(new_data_key())  # the key that wrote everything is gone

    status = _invoke("status")
    assert status.exit_code == 1
    assert "feedback.reporter_phone: 1" in status.output and made["case"] in status.output
    refused = _invoke("rekey")
    assert refused.exit_code == 1 and "re-encrypted: 0" not in refused.output
    session.expire_all()
    kept = session.get(Feedback, made["case"])
    assert kept is not None and kept.reporter_phone == sealed


def test_a_value_changed_during_the_rekey_is_left_alone(session: Session, keys: Any) -> None:
    made = _stored(session)
    old = get_settings().data_keys
    both = keys(new_data_key(), old)
    phone = next(e for e in ENCRYPTED if e.name == "feedback.reporter_phone")
    working: list[Session] = []

    def meanwhile(plaintext: str, row: Any, keys: str) -> str:
        # The application erases the reporter's phone between the re-key's read and write.
        working[0].execute(
            update(Feedback).where(Feedback.id == row["id"]).values(reporter_phone=None)
        )
        return "index"

    @contextmanager
    def unit_of_work() -> Iterator[Session]:
        with Session(session.get_bind()) as mine:
            working[:] = [mine]
            yield mine
            mine.commit()

    racing = rekey.Encrypted(Feedback, phone.column, "sealed", phone.field, index="phone_index",
                             index_of=meanwhile)  # fmt: skip
    tally = rekey.rekey(unit_of_work, racing, both)
    assert (tally.older, tally.changed) == (0, 1)
    session.expire_all()
    case = session.get(Feedback, made["case"])
    assert case is not None and case.reporter_phone is None and case.phone_index != "index"


def test_new_prints_a_usable_key() -> None:
    done = _invoke("new")
    assert done.exit_code == 0
    Fernet(done.output.strip().encode())  # a valid key, or this raises
