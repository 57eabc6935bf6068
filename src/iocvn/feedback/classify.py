"""Category suggestion for citizen feedback (gợi ý lĩnh vực phản ánh) with scikit-learn.

A report's text is folded (no diacritics, chat shorthand spelled out: ``text.features``),
then described by TF-IDF character n-grams (2–5, within words: robust to typos and to
words glued or split) and word uni- and bi-grams (Vietnamese compounds are two syllables:
"ổ gà", "đèn đường"); a linear model trained on the logistic loss (SGD) turns them into a
probability per category. The operator confirms or changes the suggestion; corrections are
merged into the history (a correction overrides the earlier label of the same case) and the
model is trained again.

Serialised with skops (``to_bytes``/``from_bytes``), not pickle: loading accepts only the
scikit-learn, NumPy and SciPy types skops trusts by default, never arbitrary code, so a
model read back from the database cannot run code when loaded. Pure: no database, no
network, no files.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

from iocvn.feedback.categories import top_level
from iocvn.feedback.text import features

FORMAT = 1  # of the serialised model; bumped when the pipeline changes shape
MIN_EXAMPLES = 5  # below this many training examples a category is flagged as thin
# Regularisation, chosen by 5-fold cross-validation on the demo training set: accuracy
# within 0.002 of the best alpha (1e-4) with a much lower log-loss (better confidences).
# LogisticRegression (lbfgs) and calibrated LinearSVC scored the same on the held-out set,
# trained 5-7 times slower and were less well calibrated (see bench_classify.py).
ALPHA = 3e-5
TOP_K = 3  # suggestions shown to an operator; the report counts the right one among them
WORD = r"\S+"  # the folded text has only letters, digits and single spaces


class Suggestion(NamedTuple):
    """A category and the model's probability for it (0–1)."""

    category: str
    confidence: float


@dataclass(frozen=True)
class ClassScore:
    """How the model does on one category of a test set."""

    precision: float
    recall: float
    f1: float
    n_train: int
    n_test: int


@dataclass(frozen=True)
class Report:
    """Accuracy of a model on a test set it was not trained on."""

    accuracy: float
    macro_f1: float
    top_level_accuracy: float  # right field (giao_thong …), whatever the sub-category
    top_k_accuracy: float  # right category among the TOP_K suggestions
    n_train: int
    n_test: int
    per_class: dict[str, ClassScore]
    few_examples: tuple[str, ...]  # categories trained on fewer than MIN_EXAMPLES reports
    untested: tuple[str, ...]  # categories of the model absent from the test set


@dataclass(frozen=True)
class LabelledText:
    """One case of the province's history, or an operator's correction of it."""

    case_id: str
    text: str
    category: str


class Classifier:
    """A trained model: suggests categories for a report's text."""

    def __init__(self, pipeline: Pipeline, counts: dict[str, int]) -> None:
        self._pipeline = pipeline
        self._classes: list[str] = [str(c) for c in pipeline.classes_]
        self.counts = counts  # training examples per category

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories the model can suggest, in code order."""
        return tuple(self._classes)

    def probabilities(self, text: str) -> dict[str, float]:
        """Probability of every category for ``text``."""
        row = self._pipeline.predict_proba([features(text)])[0]
        return dict(zip(self._classes, (float(p) for p in row), strict=True))

    def suggest(self, text: str, k: int = 3, *, fields: bool = False) -> list[Suggestion]:
        """The ``k`` likeliest categories, best first (``fields``: top-level fields only)."""
        probs = self.probabilities(text)
        if fields:
            summed: dict[str, float] = defaultdict(float)
            for category, p in probs.items():
                summed[top_level(category)] += p
            probs = summed
        best = sorted(probs.items(), key=lambda item: (-item[1], item[0]))[:k]
        return [Suggestion(category, round(p, 4)) for category, p in best]

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The best category of each text."""
        return [str(c) for c in self._pipeline.predict([features(t) for t in texts])]

    def score(self, texts: Sequence[str], labels: Sequence[str]) -> Report:
        """Accuracy, macro-F1 and per-category scores on a labelled test set."""
        if not texts:
            return _report([], [], [], self.counts)
        probs = self._pipeline.predict_proba([features(t) for t in texts])
        ranked = np.argsort(-probs, axis=1, kind="stable")[:, :TOP_K]
        classes = np.asarray(self._classes)
        predicted = [str(c) for c in classes[ranked[:, 0]]]
        in_top_k = [label in classes[row] for label, row in zip(labels, ranked, strict=True)]
        return _report(list(labels), predicted, in_top_k, self.counts)

    def to_bytes(self) -> bytes:
        """The model as bytes (skops), to store and load later with ``from_bytes``."""
        return bytes(
            _skops().dumps({"format": FORMAT, "pipeline": self._pipeline, "counts": self.counts})
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Classifier:
        """Load a model written by ``to_bytes``; refuse one holding any other type."""
        untrusted = _skops().get_untrusted_types(data=data)
        if untrusted:
            raise ValueError(f"model holds types outside scikit-learn/NumPy/SciPy: {untrusted}")
        state: dict[str, Any] = _skops().loads(data)
        if state.get("format") != FORMAT:
            raise ValueError(f"model format {state.get('format')!r}, expected {FORMAT}")
        return cls(state["pipeline"], {str(k): int(v) for k, v in state["counts"].items()})


def _skops() -> Any:
    """skops.io, imported when a model is saved or loaded: scikit-learn and SciPy take
    seconds to import, and most processes (the MQTT consumer, most commands) never classify."""
    from skops import io

    return io


def build_pipeline(alpha: float = ALPHA) -> Pipeline:
    """Untrained features + model; the input is already ``text.features`` of a report."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline

    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "chars",
                            TfidfVectorizer(
                                analyzer="char_wb",
                                ngram_range=(2, 5),
                                lowercase=False,
                                sublinear_tf=True,
                                dtype=np.float32,
                            ),
                        ),
                        (
                            "words",
                            TfidfVectorizer(
                                analyzer="word",
                                ngram_range=(1, 2),
                                token_pattern=WORD,
                                lowercase=False,
                                sublinear_tf=True,
                                dtype=np.float32,
                            ),
                        ),
                    ]
                ),
            ),
            ("model", SGDClassifier(loss="log_loss", alpha=alpha, random_state=0)),
        ]
    )


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    sample_weight: Sequence[float] | None = None,
    alpha: float = ALPHA,
) -> Classifier:
    """Train on labelled reports; any number of examples per category (thin ones flagged)."""
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    if len(set(labels)) < 2:
        raise ValueError("training needs reports of at least two categories")
    pipeline = build_pipeline(alpha)
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    pipeline.fit([features(t) for t in texts], list(labels), model__sample_weight=weights)
    return Classifier(pipeline, dict(sorted(Counter(labels).items())))


def evaluate(
    texts: Sequence[str], labels: Sequence[str], test_size: float = 0.2, seed: int = 0
) -> Report:
    """Train on a stratified share of the reports and score on the rest."""
    train_idx, test_idx = split(labels, test_size, seed)
    model = train([texts[i] for i in train_idx], [labels[i] for i in train_idx])
    return model.score([texts[i] for i in test_idx], [labels[i] for i in test_idx])


def split(labels: Sequence[str], test_size: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices of a stratified train/test split; a category keeps at least one training report.

    A category with a single report goes to training only (it is then listed as untested).
    """
    if not 0 < test_size < 1:
        raise ValueError("test_size must be between 0 and 1")
    rng = random.Random(seed)
    by_class: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_class[label].append(i)
    train_idx: list[int] = []
    test_idx: list[int] = []
    for label in sorted(by_class):
        indices = by_class[label]
        rng.shuffle(indices)
        n_test = min(round(len(indices) * test_size), len(indices) - 1)
        test_idx += indices[:n_test]
        train_idx += indices[n_test:]
    return sorted(train_idx), sorted(test_idx)


def merge_corrections(
    history: Iterable[LabelledText], corrections: Iterable[LabelledText]
) -> list[LabelledText]:
    """The history with corrections applied: the last word on a case wins, new cases added."""
    merged = {case.case_id: case for case in history}
    for correction in corrections:
        merged[correction.case_id] = correction
    return list(merged.values())


def retrain(
    history: Iterable[LabelledText],
    corrections: Iterable[LabelledText],
    *,
    correction_weight: float = 1.0,
) -> Classifier:
    """Train on the history merged with operators' corrections.

    ``correction_weight`` > 1 makes corrected cases count more than older labels, so a few
    corrections of a new kind of report change its suggestion sooner.
    """
    corrected = list(corrections)
    corrected_ids = {c.case_id for c in corrected}
    cases = merge_corrections(history, corrected)
    weights = [correction_weight if c.case_id in corrected_ids else 1.0 for c in cases]
    return train([c.text for c in cases], [c.category for c in cases], sample_weight=weights)


def _report(
    truth: list[str], predicted: list[str], in_top_k: list[bool], counts: dict[str, int]
) -> Report:
    n = len(truth)
    few = tuple(c for c, n_c in counts.items() if n_c < MIN_EXAMPLES)
    if n == 0:
        return Report(0.0, 0.0, 0.0, 0.0, sum(counts.values()), 0, {}, few, tuple(counts))
    labels = sorted(set(truth))
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    per_class = {
        label: ClassScore(
            precision=round(float(precision[i]), 4),
            recall=round(float(recall[i]), 4),
            f1=round(float(f1[i]), 4),
            n_train=counts.get(label, 0),
            n_test=int(support[i]),
        )
        for i, label in enumerate(labels)
    }
    right = sum(t == p for t, p in zip(truth, predicted, strict=True))
    right_field = sum(top_level(t) == top_level(p) for t, p in zip(truth, predicted, strict=True))
    return Report(
        accuracy=round(right / n, 4),
        macro_f1=round(float(np.mean(f1)), 4),
        top_level_accuracy=round(right_field / n, 4),
        top_k_accuracy=round(sum(in_top_k) / n, 4),
        n_train=sum(counts.values()),
        n_test=n,
        per_class=per_class,
        few_examples=few,
        untested=tuple(c for c in counts if c not in per_class),
    )
