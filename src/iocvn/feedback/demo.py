"""Demo citizen feedback for the demo province: invented reports (the generated texts of
``data/demo_reports.yaml``, labelled *demo*) at real places, taken through the real
workflow over the last weeks, and the category classifier trained on the demo examples.

Every demo case has ``external_id = "demo-<n>"`` and channel as a citizen would have used;
reporters' names are invented. Deterministic (seeded), and loaded once: re-running finds
the demo cases and does nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from shapely.geometry import Point, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.auth.scope import OrgScope
from iocvn.config import Settings
from iocvn.core.context import Actor
from iocvn.core.timeutil import to_local
from iocvn.feedback import classify, demo_text, intake, stats, suggest, workflow
from iocvn.feedback.models import OPEN_STATUSES, Feedback
from iocvn.org.models import OrgUnit

CASES = 200
DAYS = 60
REPEATS = 3  # new reports of a problem an open case already reports (the duplicates view)
SEED = 2026
NAMES = (
    "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Hoàng Thị Dung", "Nông Văn Én",
    "Lương Thị Hà", "Vi Văn Khánh", "Hà Thị Lan", "Chu Văn Minh", "Triệu Thị Ngọc",
)  # fmt: skip
CHANNELS = ("web", "web", "web", "app", "app", "hotline", "zalo", "walk_in")


@dataclass
class DemoReport:
    """What was loaded."""

    cases: int = 0
    model_accuracy: float | None = None
    days: int = 0  # days whose counts were announced (PAKN.* indicators when fed)


def _points(session: Session, province: str, rng: random.Random) -> list[tuple[str, Point]]:
    rows = session.execute(
        select(OrgUnit.code, OrgUnit.geometry).where(
            OrgUnit.province_code == province,
            OrgUnit.level == "commune",
            OrgUnit.valid_to.is_(None),
            OrgUnit.geometry.is_not(None),
        )
    ).all()
    out = []
    for code, geometry in sorted(rows):
        polygon = shape(geometry)
        minx, miny, maxx, maxy = polygon.bounds
        for _ in range(3):  # three random points inside each commune
            for _ in range(50):
                p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
                if polygon.contains(p):
                    out.append((code, p))
                    break
    return out


def load(
    session: Session, settings: Settings, actor: Actor, province: str, now: datetime
) -> DemoReport:
    """Train the demo classifier and load the demo cases, once."""
    done = DemoReport()
    exists = session.execute(
        select(Feedback.id).where(Feedback.external_id.like("demo-%")).limit(1)
    ).first()
    if exists is not None:
        return done
    sets = demo_text.load()
    training = [classify.LabelledText(f"demo-train-{i}", text, cat)
                for i, (cat, text) in enumerate(sets["train"])]  # fmt: skip
    model = suggest.train_and_activate(session, actor, training, source="demo")
    # The honest figure: the demo's separate held-out set, written with other wordings (the
    # split of the training examples themselves scores near 100 %).
    held_out = sets["held_out"]
    scored = classify.Classifier.from_bytes(model.blob).score(
        [text for _, text in held_out], [cat for cat, _ in held_out]
    )
    model.report = dict(model.report) | {"demo_held_out_accuracy": scored.accuracy}
    done.model_accuracy = scored.accuracy
    rng = random.Random(SEED)
    points = _points(session, province, rng)
    if not points:
        return done
    texts = sets["held_out"]
    ioc = OrgScope("province", province, province)
    for n in range(CASES):
        category, text = texts[n % len(texts)]
        _, point = rng.choice(points)
        received = now - timedelta(days=DAYS * (1 - n / CASES), hours=rng.uniform(0, 8))
        anonymous = rng.random() < 0.2
        report = intake.NewReport(
            description=text if len(text) >= intake.MIN_TEXT else f"{text} (demo)",
            category=category if rng.random() < 0.5 else None,
            lat=point.y, lon=point.x, anonymous=anonymous,
            name=None if anonymous else rng.choice(NAMES),
            phone=None if anonymous else f"09{rng.randrange(10**8):08d}",
            notify_by=None, external_id=f"demo-{n}",
        )  # fmt: skip
        made = intake.submit(session, settings, province, report, channel=rng.choice(CHANNELS),
                             actor=Actor("citizen"), now=received)  # fmt: skip
        _progress(session, settings, actor, ioc, made, category, received, now, rng)
        done.cases += 1
    done.cases += _repeats(session, settings, province, now, rng)
    # Announce each day's counts, as the daily job does, so the fed indicators (PAKN.*) show
    # what the demo cases did.
    today = to_local(now).date()
    for back in range(DAYS + 1, -1, -1):
        stats.publish_daily(session, today - timedelta(days=back))
        done.days += 1
    return done


def _repeats(
    session: Session, settings: Settings, province: str, now: datetime, rng: random.Random
) -> int:
    """A few citizens report again, a few tens of metres away, what an open case of the last
    weeks already reports: new cases the IOC's duplicates view pairs with the open ones."""
    recent = session.execute(
        select(Feedback)
        .where(Feedback.status.in_(OPEN_STATUSES), Feedback.lat.is_not(None),
               Feedback.received_at >= now - timedelta(days=20),
               Feedback.external_id.like("demo-%"))
        .order_by(Feedback.received_at.desc(), Feedback.id)
        .limit(REPEATS)
    ).scalars().all()  # fmt: skip
    for k, first in enumerate(recent):
        shift = 0.0003 * (1 + rng.random())  # 30–70 m north-east
        report = intake.NewReport(
            description=f"Vẫn còn nguyên: {first.description}",
            category=first.category_code or first.suggested_category,
            lat=(first.lat or 0) + shift, lon=(first.lon or 0) + shift, anonymous=True,
            notify_by=None, external_id=f"demo-r{k}",
        )  # fmt: skip
        later = min(now, first.received_at + timedelta(hours=rng.uniform(2, 48)))
        intake.submit(session, settings, province, report, channel="web",
                      actor=Actor("citizen"), now=later)  # fmt: skip
    return len(recent)


def _progress(
    session: Session, settings: Settings, actor: Actor, ioc: OrgScope,
    made: intake.Submitted, category: str, received: datetime, now: datetime,
    rng: random.Random,
) -> None:  # fmt: skip
    """Take a case as far as a real one of its age would have gone (seeded choices)."""
    case = made.case
    age = now - received
    roll = rng.random()
    if age < timedelta(hours=6) or roll < 0.08:
        return  # still waiting for triage
    accepted = received + timedelta(hours=rng.uniform(1, 10))
    if roll < 0.13:
        workflow.reject(session, settings, actor, case, reason="Nội dung không đủ thông tin "
                        "để xác minh (demo).", now=accepted)  # fmt: skip
        return
    if roll < 0.16:
        workflow.reject(session, settings, actor, case, reason="Thuộc thẩm quyền của đơn vị "
                        "ngành dọc (demo).", not_our_remit=True,
                        remit_body="Công ty Điện lực Lạng Sơn", now=accepted)  # fmt: skip
        return
    # The operator confirms the true category (correcting the suggestion when wrong).
    workflow.accept(session, settings, actor, case, category=category, now=accepted)
    if roll < 0.24 or age < timedelta(days=2):
        return
    workflow.start_work(session, actor, ioc, case, now=accepted + timedelta(hours=2))
    if roll < 0.34:
        return
    late = rng.random() < 0.2
    due = case.deadline_at or accepted + timedelta(days=7)
    span = (due - accepted) * (rng.uniform(1.05, 1.6) if late else rng.uniform(0.2, 0.95))
    resolved = min(accepted + span, now - timedelta(hours=1))
    workflow.resolve(session, settings, actor, ioc, case,
                     answer="Đơn vị đã kiểm tra và xử lý xong (demo).", now=resolved)  # fmt: skip
    if roll < 0.45:
        return  # waiting for the reporter
    answered = resolved + timedelta(hours=rng.uniform(2, 48))
    if answered > now:
        return
    fixed = rng.random() > 0.1
    workflow.confirm(session, settings, case, secret=made.secret, fixed=fixed,
                     rating=rng.choice((4, 5, 5, 3)) if fixed else rng.choice((1, 2)),
                     now=answered)  # fmt: skip
