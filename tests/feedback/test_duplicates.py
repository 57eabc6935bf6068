"""Duplicate suggestions: the inbox's one-query ``best_for`` ranks exactly as the case page's
``candidates`` does, over a scatter of reports near each other."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from iocvn.core.timeutil import utcnow
from iocvn.feedback import duplicates
from tests.factories.feedback import DONG_KINH, province, report

TEXTS = (
    "Ổ gà lớn giữa đường, xe máy đi qua rất dễ ngã, đề nghị sửa sớm.",
    "Đường có ổ gà to, xe máy dễ ngã, đề nghị vá gấp.",
    "Đèn đường hỏng cả dãy phố, tối om rất nguy hiểm.",
    "Rác thải đổ trộm bên bờ suối, bốc mùi hôi thối.",
)
CATEGORIES = ("giao_thong.o_ga", "giao_thong", "dien_chieu_sang", None)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_inbox_and_the_case_page_suggest_the_same_duplicate(
    session: Session, seed: int
) -> None:
    province(session)
    rnd, now = random.Random(seed), utcnow()
    made = []
    for _ in range(24):
        where = {}
        if rnd.random() < 0.8:  # a point within ~500 m, else the commune only (by address)
            where = {"lat": DONG_KINH[0] + rnd.uniform(-0.0045, 0.0045),
                     "lon": DONG_KINH[1] + rnd.uniform(-0.0045, 0.0045)}  # fmt: skip
        else:
            where = {"lat": None, "lon": None, "address": "Phường Đông Kinh"}
        made.append(report(session, rnd.choice(TEXTS), category=rnd.choice(CATEGORIES),
                           now=now - timedelta(days=rnd.uniform(0, 45)), **where).case)  # fmt: skip
    session.commit()
    best = duplicates.best_for(session, made)
    for case in made:
        one = duplicates.candidates(session, case, limit=1)
        expected = (one[0].case.id, one[0].score) if one else None
        got = (best[case.id].case.id, best[case.id].score) if case.id in best else None
        assert got == expected, case.code
    assert len(best) >= 5  # the scatter has duplicates to find
