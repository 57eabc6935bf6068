"""A public warning (cảnh báo công khai) as an operator drafts it, before it becomes CAP 1.2.

``PublicWarning`` is the body of ``POST /api/v1/warnings``: one language's texts (Vietnamese,
``vi-VN``), CAP's category, urgency, severity and certainty, one area, optional onset and
expiry, and the status (``Actual``, ``Exercise``, ``System``, ``Test``, ``Draft``).
``Translation`` is the same warning in another language (an English block for visitors and
neighbouring countries). Constructing either checks what the CAP schema and its text rules
need (CAP's enumerations, non-blank texts, characters XML can carry, instants with an
offset) and normalises texts (Unicode NFC, surrounding blanks removed) and instants (whole
seconds, Vietnam's time); ``warning_from_api`` also bounds lengths (a headline of at most
160 characters, CAP's suggested limit for SMS and cell broadcast).

``marked`` labels exercises and tests in their own texts — headline, description and
instruction start with ``[DIỄN TẬP]`` / ``[EXERCISE]`` (``[THỬ NGHIỆM]`` / ``[TEST]``) — so a
message copied out of its envelope still cannot be taken for a real warning; marking twice
changes nothing.

Pure: no database, no XML, no clock.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, Literal, TypeVar, cast, get_args

from iocvn.alerts import messages  # noqa: F401  (registers the domain's texts)
from iocvn.alerts.area import Area, area_from_api
from iocvn.core.errors import Invalid
from iocvn.core.timeutil import to_local

Category = Literal[
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
]  # fmt: skip
Urgency = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
Severity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
Certainty = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]
Status = Literal["Actual", "Exercise", "System", "Test", "Draft"]
ResponseType = Literal[
    "Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None",
]  # fmt: skip

CATEGORIES: Final = cast(tuple[Category, ...], get_args(Category))
URGENCIES: Final = cast(tuple[Urgency, ...], get_args(Urgency))
SEVERITIES: Final = cast(tuple[Severity, ...], get_args(Severity))
CERTAINTIES: Final = cast(tuple[Certainty, ...], get_args(Certainty))
STATUSES: Final = cast(tuple[Status, ...], get_args(Status))
RESPONSE_TYPES: Final = cast(tuple[ResponseType, ...], get_args(ResponseType))

DEFAULT_LANGUAGE = "vi-VN"
ENGLISH = "en-US"
LIMITS: Final = {
    "event": 200,
    "headline": 160,
    "description": 10_000,
    "instruction": 10_000,
    "area.description": 1_000,
    "area_description": 1_000,
}
"""Longest accepted text per field of ``POST /api/v1/warnings`` (characters)."""

# (tag word, sentence) per status and language ("vi" or anything else: English)
_MARKS: Final = {
    ("Exercise", "vi"): ("DIỄN TẬP", "Đây là bản tin diễn tập, không phải cảnh báo thật."),
    ("Exercise", "en"): ("EXERCISE", "This is an exercise, not a real warning."),
    ("Test", "vi"): ("THỬ NGHIỆM", "Đây là bản tin thử nghiệm kỹ thuật, không phải cảnh báo thật."),
    ("Test", "en"): ("TEST", "This is a technical test, not a real warning."),
}
# Characters XML 1.0 cannot carry (C0 controls but tab and newlines, lone surrogates, U+FFFE/F).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")  # xs:language
_E = TypeVar("_E", bound=str)


@dataclass(frozen=True)
class PublicWarning:
    """What an operator drafts: the texts, CAP's classification, the area and the times."""

    event: str
    headline: str
    description: str
    category: Category
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    area: Area
    instruction: str = ""
    onset: datetime | None = None
    expires: datetime | None = None
    status: Status = "Actual"
    language: str = DEFAULT_LANGUAGE
    response_types: tuple[ResponseType, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("event", "headline", "description"):
            object.__setattr__(self, name, text(getattr(self, name), name))
        object.__setattr__(self, "instruction", text(self.instruction, "instruction", True))
        area = replace(self.area, description=text(self.area.description, "area.description"))
        object.__setattr__(self, "area", area)
        choice(self.category, CATEGORIES, "category")
        choice(self.urgency, URGENCIES, "urgency")
        choice(self.severity, SEVERITIES, "severity")
        choice(self.certainty, CERTAINTIES, "certainty")
        choice(self.status, STATUSES, "status")
        for value in self.response_types:
            choice(value, RESPONSE_TYPES, "response_types")
        object.__setattr__(self, "response_types", tuple(self.response_types))
        language(self.language, "language")
        object.__setattr__(self, "onset", instant(self.onset, "onset", optional=True))
        object.__setattr__(self, "expires", instant(self.expires, "expires", optional=True))
        if self.onset and self.expires and self.expires <= self.onset:
            raise Invalid("cap_expires_order", details={"field": "expires"})


@dataclass(frozen=True)
class Translation:
    """The warning's texts in another language (an extra CAP ``info`` block)."""

    event: str
    headline: str
    description: str
    area_description: str
    instruction: str = ""
    language: str = ENGLISH

    def __post_init__(self) -> None:
        for name in ("event", "headline", "description", "area_description"):
            object.__setattr__(self, name, text(getattr(self, name), f"english.{name}"))
        object.__setattr__(
            self, "instruction", text(self.instruction, "english.instruction", optional=True)
        )
        language(self.language, "english.language")


def warning_from_api(body: Any) -> PublicWarning:
    """The body of ``POST /api/v1/warnings`` checked and turned into a ``PublicWarning``."""
    if not isinstance(body, Mapping):
        raise Invalid("cap_type", details={"field": "body", "expected": "object"}, field="body")
    texts = {
        name: _bounded(body, name, optional=name == "instruction")
        for name in ("event", "headline", "description", "instruction")
    }
    area = body.get("area")
    if isinstance(area, Mapping):
        _bounded(area, "description", prefix="area.")
    return PublicWarning(
        **texts,
        category=choice(_str(body, "category"), CATEGORIES, "category"),
        urgency=choice(_str(body, "urgency"), URGENCIES, "urgency"),
        severity=choice(_str(body, "severity"), SEVERITIES, "severity"),
        certainty=choice(_str(body, "certainty"), CERTAINTIES, "certainty"),
        area=area_from_api(area),
        onset=_instant(body.get("onset"), "onset"),
        expires=_instant(body.get("expires"), "expires"),
        status=choice(_str(body, "status"), STATUSES, "status"),
        language=_str(body, "language", DEFAULT_LANGUAGE),
        response_types=_response_types(body.get("response_types")),
    )


def translation_from_api(body: Any, area_description: str) -> Translation:
    """An English block ``{"event", "headline", "description", "instruction"?,
    "area_description"?, "language"?}`` (the area described as in Vietnamese by default)."""
    if not isinstance(body, Mapping):
        raise Invalid(
            "cap_type", details={"field": "english", "expected": "object"}, field="english"
        )
    texts = {
        name: _bounded(body, name, optional=name == "instruction", prefix="english.")
        for name in ("event", "headline", "description", "instruction")
    }
    area = _bounded(body, "area_description", optional=True, prefix="english.")
    return Translation(
        **texts,
        area_description=area or area_description,
        language=_str(body, "language", ENGLISH),
    )


def marked(warning: PublicWarning) -> PublicWarning:
    """``warning`` with its texts labelled if it is an exercise or a test (else unchanged)."""
    headline, description, instruction = mark_texts(
        warning.status, warning.language, warning.headline, warning.description,
        warning.instruction,
    )  # fmt: skip
    return replace(warning, headline=headline, description=description, instruction=instruction)


def marked_translation(translation: Translation, status: str) -> Translation:
    """``translation`` labelled like its warning (``status`` is the warning's)."""
    headline, description, instruction = mark_texts(
        status, translation.language, translation.headline, translation.description,
        translation.instruction,
    )  # fmt: skip
    return replace(translation, headline=headline, description=description, instruction=instruction)


def mark_texts(
    status: str, language_tag: str, headline: str, description: str, instruction: str
) -> tuple[str, str, str]:
    """The three texts labelled for ``status`` in ``language_tag`` (idempotent)."""
    lang = "vi" if language_tag.lower().split("-")[0] == "vi" else "en"
    mark = _MARKS.get((status, lang))
    if mark is None:
        return headline, description, instruction
    word, sentence = mark
    tag = f"[{word}] "
    lead = f"{tag}{sentence}\n\n"
    return (
        headline if headline.startswith(tag) else tag + headline,
        description if description.startswith(lead) else lead + description,
        instruction if not instruction or instruction.startswith(tag) else tag + instruction,
    )


def note_mark(status: str) -> str:
    """The alert-level note of an exercise or a test, in both languages ('' otherwise)."""
    vi = _MARKS.get((status, "vi"))
    en = _MARKS.get((status, "en"))
    if vi is None or en is None:
        return ""
    return f"{vi[0]}: {vi[1]} {en[0]}: {en[1]}"


def text(value: Any, name: str, optional: bool = False) -> str:
    """``value`` as a clean text (NFC, stripped); Invalid if blank (unless optional) or not XML."""
    if value is None:
        if optional:
            return ""
        raise Invalid("cap_required", details={"field": name}, field=name)
    if not isinstance(value, str):
        raise Invalid("cap_type", details={"field": name, "expected": "string"}, field=name)
    if _NOT_XML.search(value):
        raise Invalid("cap_text_characters", details={"field": name}, field=name)
    clean = unicodedata.normalize("NFC", value).strip()
    if not clean and not optional:
        raise Invalid("cap_required", details={"field": name}, field=name)
    return clean


def choice(value: Any, allowed: tuple[_E, ...], name: str) -> _E:
    """``value`` if it is one of CAP's ``allowed`` values (case matters, as in the schema)."""
    if value not in allowed:
        shown = value if isinstance(value, str | int | float | None) else type(value).__name__
        raise Invalid(
            "cap_enumeration",
            details={"field": name, "value": shown, "allowed": list(allowed)},
            field=name,
            allowed=", ".join(allowed),
        )
    return cast(_E, value)


def language(value: Any, name: str) -> str:
    """``value`` if it is an RFC 3066 language tag (CAP's ``xs:language``)."""
    if not isinstance(value, str) or not _LANGUAGE.fullmatch(value):
        raise Invalid("cap_language", details={"field": name}, field=name)
    return value


def instant(value: Any, name: str, optional: bool = False) -> datetime | None:
    """An aware instant in Vietnam's time, in whole seconds (what CAP can write)."""
    if value is None and optional:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise Invalid("cap_datetime", details={"field": name}, field=name)
    return to_local(value).replace(microsecond=0)


def _bounded(body: Mapping[str, Any], name: str, optional: bool = False, prefix: str = "") -> str:
    field_name = prefix + name
    value = text(body.get(name), field_name, optional)
    limit = LIMITS.get(field_name.removeprefix("english."), 10_000)
    if len(value) > limit:
        raise Invalid(
            "cap_text_too_long", details={"field": field_name, "max": limit}, field=field_name,
            max=limit,
        )  # fmt: skip
    return value


def _str(body: Mapping[str, Any], name: str, default: str | None = None) -> str:
    value = body.get(name, default)
    if value is None:
        raise Invalid("cap_required", details={"field": name}, field=name)
    if not isinstance(value, str):
        raise Invalid("cap_type", details={"field": name, "expected": "string"}, field=name)
    return value


def _instant(value: Any, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise Invalid("cap_datetime", details={"field": name}, field=name) from None
    return instant(value, name)


def _response_types(value: Any) -> tuple[ResponseType, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Invalid(
            "cap_type",
            details={"field": "response_types", "expected": "list"},
            field="response_types",
        )
    return tuple(choice(v, RESPONSE_TYPES, "response_types") for v in value)
