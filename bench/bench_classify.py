"""Category suggestion of citizen feedback (issue #4: one report classified in < 50 ms):
suggestion latency on a warm model, training time, held-out accuracy on the demo reports,
model size and load time, and the linear models it was chosen from. No database."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial
from itertools import cycle
from typing import Any

from common import PG_ADMIN, measure, report


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Median wall time of ``fn`` in ms, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    if PG_ADMIN:
        return  # the classifier never touches the database: one run is enough
    import numpy as np
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.metrics import log_loss
    from sklearn.svm import LinearSVC

    from iocvn.feedback import classify, demo_text
    from iocvn.feedback.text import features

    demo = demo_text.load()
    texts = [t for _, t in demo["train"]]
    labels = [c for c, _ in demo["train"]]
    held_texts = [t for _, t in demo["held_out"]]
    held_labels = [c for c, _ in demo["held_out"]]

    train_ms, model = timed(lambda: classify.train(texts, labels))
    held = model.score(held_texts, held_labels)
    split = classify.evaluate(texts, labels, test_size=0.2, seed=0)
    report(
        f"classify: train ({len(texts)} reports, {len(model.categories)} categories)",
        {"median_ms": round(train_ms, 1), "n": 3},
        db="none",
        held_out_accuracy=held.accuracy,
        held_out_field_accuracy=held.top_level_accuracy,
        held_out_top3=held.top_k_accuracy,
        held_out_macro_f1=held.macro_f1,
        n_held_out=held.n_test,
        split_accuracy=split.accuracy,
    )

    reports = cycle(held_texts)
    report(
        "classify: one suggestion (k=3, warm model)",
        measure(lambda: model.suggest(next(reports)), repeat=500),
        db="none",
    )

    blob = model.to_bytes()
    load_ms, _ = timed(lambda: classify.Classifier.from_bytes(blob))
    report(
        "classify: load a stored model (skops)",
        {"median_ms": round(load_ms, 1), "n": 3},
        db="none",
        size_mb=round(len(blob) / 1e6, 2),
    )

    # The candidates: same features, other linear models (issue #4: "measure").
    x_train = [features(t) for t in texts]
    x_held = [features(t) for t in held_texts]
    candidates = {
        "SGD log-loss (chosen)": SGDClassifier(
            loss="log_loss", alpha=classify.ALPHA, random_state=0
        ),
        "LogisticRegression C=20": LogisticRegression(C=20, max_iter=3000),
        "LinearSVC + sigmoid calibration": CalibratedClassifierCV(LinearSVC(C=1), cv=3),
    }
    for name, estimator in candidates.items():
        pipeline = classify.build_pipeline()
        pipeline.steps[-1] = ("model", estimator)
        fit_ms, _ = timed(partial(pipeline.fit, x_train, labels), repeat=1)
        probs = pipeline.predict_proba(x_held)
        predicted = pipeline.classes_[probs.argmax(axis=1)]
        loss = log_loss(held_labels, probs, labels=pipeline.classes_)
        report(
            f"classify candidate: {name} (train)",
            {"median_ms": round(fit_ms, 1), "n": 1},
            db="none",
            held_out_accuracy=round(float(np.mean(predicted == np.asarray(held_labels))), 4),
            held_out_log_loss=round(float(loss), 3),
        )


if __name__ == "__main__":
    main()
