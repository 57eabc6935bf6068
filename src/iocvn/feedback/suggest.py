"""The category suggestion on the database: the active model, training it from the province's
labelled history (cases whose category an operator confirmed or corrected), and its report.

A model is trained only by this service (``train_from_history``), stored with its held-out
accuracy in ``feedback_classifiers`` and made active; the loaded model is cached by its id,
and which model is active is read again every few seconds (a model trained by another server
process is used within that time), so a suggestion costs the model's prediction. Without an
active model there is no suggestion and operators classify by hand.
"""

from __future__ import annotations

import threading
from dataclasses import asdict

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.core.cache import Rechecked
from iocvn.core.context import Actor
from iocvn.core.errors import Invalid
from iocvn.core.i18n import register
from iocvn.feedback import classify
from iocvn.feedback.models import ClassifierModel, Feedback

MIN_CASES = 20
HELD_OUT = 0.2
_LOCK = threading.Lock()
_LOADED: dict[str, classify.Classifier] = {}
_ACTIVE: Rechecked[str | None] = Rechecked()
"""The active model's id by database (the answer is its own version)."""


def invalidate() -> None:
    """Forget which model is active (this process trained one, or the tables were emptied)."""
    _ACTIVE.clear()


register(
    {
        "error.too_few_labelled_cases": (
            "Cần ít nhất {min} phản ánh đã xác nhận lĩnh vực ở ít nhất 2 lĩnh vực để huấn luyện "
            "(hiện có {count}).",
            "Training needs at least {min} cases with a confirmed category in 2 or more "
            "categories (there are {count}).",
        ),
    }
)


def active_model(session: Session) -> tuple[str, classify.Classifier] | None:
    """The active model (id, loaded classifier), if any."""

    def read() -> str | None:
        return session.execute(
            select(ClassifierModel.id).where(ClassifierModel.active.is_(True))
        ).scalar_one_or_none()

    model_id = _ACTIVE.read(session.get_bind().engine.url, read)
    if model_id is None:
        return None
    with _LOCK:
        loaded = _LOADED.get(model_id)
    if loaded is None:
        blob = session.execute(
            select(ClassifierModel.blob).where(ClassifierModel.id == model_id)
        ).scalar_one()
        loaded = classify.Classifier.from_bytes(blob)
        with _LOCK:
            _LOADED.clear()
            _LOADED[model_id] = loaded
    return model_id, loaded


def suggest_category(session: Session, text: str) -> tuple[str, float] | None:
    """The likeliest category of ``text`` and its probability, when a model is active."""
    found = active_model(session)
    if found is None:
        return None
    best = found[1].suggest(text, k=1)
    return (best[0].category, best[0].confidence) if best else None


def suggestions(session: Session, text: str, k: int = 3) -> list[classify.Suggestion]:
    """The ``k`` likeliest categories, best first (empty without a model)."""
    found = active_model(session)
    return found[1].suggest(text, k=k) if found else []


def labelled_history(session: Session) -> list[classify.LabelledText]:
    """Cases whose category a person confirmed or set: the training data."""
    rows = session.execute(
        select(Feedback.id, Feedback.description, Feedback.category_code).where(
            Feedback.category_confirmed.is_(True), Feedback.category_code.is_not(None)
        )
    )
    return [classify.LabelledText(i, text, cat) for i, text, cat in rows if cat]


def train_and_activate(
    session: Session,
    actor: Actor,
    cases: list[classify.LabelledText],
    *,
    source: str,
) -> ClassifierModel:
    """Score a model on a held-out split, train on everything, store it and make it active."""
    labels = [c.category for c in cases]
    if len(cases) < MIN_CASES or len(set(labels)) < 2:
        raise Invalid("too_few_labelled_cases", details={"count": len(cases)},
                      min=MIN_CASES, count=len(cases))  # fmt: skip
    texts = [c.text for c in cases]
    report = classify.evaluate(texts, labels, test_size=HELD_OUT, seed=0)
    model = classify.train(texts, labels)
    summary = {
        "source": source,
        "held_out": HELD_OUT,
        "accuracy": report.accuracy,
        "macro_f1": report.macro_f1,
        "top_level_accuracy": report.top_level_accuracy,
        "n_train": report.n_train,
        "n_test": report.n_test,
        "n_cases": len(cases),
        "few_examples": list(report.few_examples),
        "per_class": {k: asdict(v) for k, v in report.per_class.items()},
    }
    session.execute(update(ClassifierModel).values(active=False))
    row = ClassifierModel(blob=model.to_bytes(), report=summary, active=True,
                          created_by=actor.name)  # fmt: skip
    session.add(row)
    session.flush()
    invalidate()
    audit.record(
        session, actor, "feedback.classifier_train", target_type="feedback_classifier",
        target_id=row.id,
        after={k: summary[k] for k in ("source", "accuracy", "macro_f1", "n_cases")},
    )  # fmt: skip
    return row


def retrain_from_history(session: Session, actor: Actor) -> ClassifierModel:
    """Train on every case a person has labelled (operators' corrections included)."""
    return train_and_activate(session, actor, labelled_history(session), source="history")


def latest_report(session: Session) -> dict[str, object] | None:
    """The active model's held-out report."""
    row = session.execute(
        select(ClassifierModel.report, ClassifierModel.created_at).where(
            ClassifierModel.active.is_(True)
        )
    ).first()
    if row is None:
        return None
    return dict(row.report) | {"trained_at": row.created_at.isoformat()}
