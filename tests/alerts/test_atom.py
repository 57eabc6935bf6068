"""The Atom 1.0 feed of published CAP messages (RFC 4287): well-formed, newest first, with the
elements the RFC requires and a typed link to each CAP message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

from iocvn.alerts.atom import (
    ATOM_MEDIA_TYPE,
    ATOM_NS,
    SUMMARY_LIMIT,
    FeedEntry,
    feed,
    feed_url,
    message_url,
)
from iocvn.alerts.cap import NS as CAP_NS
from iocvn.alerts.cap import references_for, to_bytes, validate
from iocvn.core.timeutil import LOCAL_TZ
from tests.factories.cap import SENT, message, warning

PUBLIC_URL = "https://ioc.langson.gov.vn/"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=LOCAL_TZ)
A = {"a": ATOM_NS}
H = timedelta(hours=1)


def _chain() -> list[Any]:
    original = message()
    update = message(
        identifier="langson.gov.vn-update-1",
        sent=SENT + H,
        msg_type="Update",
        references=references_for([original]),
        warning=warning(headline="Lũ lên nhanh <báo động 3> & sạt lở", severity="Extreme"),
    )
    drill = message(
        identifier="langson.gov.vn-drill-1",
        sent=SENT + 2 * H,
        warning=warning(status="Exercise", event="Cháy rừng", category="Fire"),
    )
    return [original, drill, update]  # not in order: the feed sorts


def _feed(messages: list[Any] | None = None) -> Any:
    xml = feed(
        _chain() if messages is None else messages,
        public_url=PUBLIC_URL,
        title="Cảnh báo công khai – tỉnh Lạng Sơn",
        author="Trung tâm Điều hành thông minh tỉnh Lạng Sơn",
        now=NOW,
    )
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    return etree.fromstring(xml)


def _one(element: Any, path: str) -> Any:
    found = element.xpath(path, namespaces=A)
    assert len(found) == 1, path
    return found[0]


def _rfc3339(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None
    return parsed


def test_the_feed_has_the_elements_rfc_4287_requires() -> None:
    root = _feed()
    assert root.tag == f"{{{ATOM_NS}}}feed"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "vi"
    assert _one(root, "a:id").text == "https://ioc.langson.gov.vn/cap/alerts.atom"
    assert _one(root, "a:title").text == "Cảnh báo công khai – tỉnh Lạng Sơn"
    assert _one(root, "a:author/a:name").text == "Trung tâm Điều hành thông minh tỉnh Lạng Sơn"
    self_link = _one(root, "a:link[@rel='self']")
    assert self_link.get("href") == feed_url(PUBLIC_URL)
    assert self_link.get("type") == ATOM_MEDIA_TYPE
    # the feed was last updated when its newest message was sent
    assert _rfc3339(_one(root, "a:updated").text) == SENT + 2 * H


def test_entries_are_newest_first_with_id_title_updated_link_and_author() -> None:
    root = _feed()
    entries = root.xpath("a:entry", namespaces=A)
    ids = [_one(e, "a:id").text for e in entries]
    assert ids == [
        "https://ioc.langson.gov.vn/cap/alerts/langson.gov.vn-drill-1.xml",
        "https://ioc.langson.gov.vn/cap/alerts/langson.gov.vn-update-1.xml",
        "https://ioc.langson.gov.vn/cap/alerts/langson.gov.vn-01JDX0A2B3C4D5E6F7G8H9J0K1.xml",
    ]
    updated = [_rfc3339(_one(e, "a:updated").text) for e in entries]
    assert updated == sorted(updated, reverse=True)
    assert updated[0] == SENT + 2 * H
    for entry, entry_id in zip(entries, ids, strict=True):
        link = _one(entry, "a:link[@rel='alternate']")
        assert link.get("type") == "application/cap+xml"
        assert link.get("href") == entry_id
        assert _one(entry, "a:title").text
        assert _one(entry, "a:summary").text
        assert _one(entry, "a:author/a:name").text == (
            "Trung tâm Điều hành thông minh tỉnh Lạng Sơn"
        )
        assert _rfc3339(_one(entry, "a:published").text) == _rfc3339(_one(entry, "a:updated").text)


def test_titles_are_headlines_escaped_and_exercises_are_marked() -> None:
    entries = _feed().xpath("a:entry", namespaces=A)
    titles = [_one(e, "a:title").text for e in entries]
    assert titles == [
        "[DIỄN TẬP] Cảnh báo lũ trên sông Kỳ Cùng",
        "Lũ lên nhanh <báo động 3> & sạt lở",
        "Cảnh báo lũ trên sông Kỳ Cùng",
    ]
    drill = entries[0]
    assert _one(drill, "a:summary").text.startswith("[DIỄN TẬP] Đây là bản tin diễn tập")
    status = _one(drill, f"a:category[@scheme='{CAP_NS}:status']")
    assert status.get("term") == "Exercise"
    assert status.get("label") == "Diễn tập"
    assert _one(drill, f"a:category[@scheme='{CAP_NS}:category']").get("term") == "Fire"


def test_categories_carry_caps_status_type_and_classification() -> None:
    update = _feed().xpath("a:entry", namespaces=A)[1]
    terms = {
        c.get("scheme").removeprefix(f"{CAP_NS}:"): c.get("term")
        for c in update.xpath("a:category", namespaces=A)
    }
    assert terms == {
        "status": "Actual",
        "msgType": "Update",
        "category": "Met",
        "urgency": "Immediate",
        "severity": "Extreme",
        "certainty": "Observed",
    }


def test_each_link_leads_to_the_valid_cap_message() -> None:
    messages = _chain()
    by_url = {message_url(PUBLIC_URL, m.identifier): m for m in messages}
    for link in _feed(messages).xpath("a:entry/a:link[@rel='alternate']", namespaces=A):
        validate(to_bytes(by_url[link.get("href")]))


def test_an_empty_feed_is_still_a_valid_feed_updated_now() -> None:
    root = _feed([])
    assert root.xpath("a:entry", namespaces=A) == []
    assert _rfc3339(_one(root, "a:updated").text) == NOW
    _one(root, "a:id")
    _one(root, "a:title")


def test_entries_can_be_given_without_their_message_and_long_summaries_are_cut() -> None:
    long = " ".join(["Mực nước sông Kỳ Cùng đang lên."] * 100)
    entry = FeedEntry.of(message(warning(description=long)))
    assert len(entry.summary) <= SUMMARY_LIMIT + 1
    assert entry.summary.endswith("…")
    root = _feed([entry])
    assert _one(root, "a:entry/a:title").text == "Cảnh báo lũ trên sông Kỳ Cùng"


def test_times_are_rfc_3339_in_vietnam_time() -> None:
    utc_message = message(sent=datetime(2026, 11, 30, 1, 55, 12, tzinfo=UTC))
    root = _feed([utc_message])
    assert _one(root, "a:entry/a:updated").text == "2026-11-30T08:55:12+07:00"


def test_message_urls_are_built_from_the_public_url() -> None:
    assert message_url("https://x.vn", "a-1") == "https://x.vn/cap/alerts/a-1.xml"
    assert message_url("https://x.vn/", "a:b@c") == "https://x.vn/cap/alerts/a:b@c.xml"
    assert feed_url("https://x.vn/iocvn/") == "https://x.vn/iocvn/cap/alerts.atom"
