"""``iocvn feedback``: seed, calendar edits with line-numbered errors, jobs, erasure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from iocvn.cli import app as cli
from iocvn.feedback.models import CalendarDay, Feedback, FeedbackCategory, RoutingRule
from tests.factories.feedback import report
from tests.factories.org import seed


def test_seed_is_idempotent(session: Session) -> None:
    seed(session)
    first = CliRunner().invoke(cli, ["feedback", "seed"])
    assert first.exit_code == 0, first.output
    count = len(session.execute(select(FeedbackCategory)).all())
    assert count >= 40
    assert len(session.execute(select(RoutingRule)).all()) == 5
    again = CliRunner().invoke(cli, ["feedback", "seed"])
    assert "0 mới / new" in again.output


def test_calendar_set_and_show(session: Session, tmp_path: Path) -> None:
    seed(session)
    good = tmp_path / "2027.csv"
    good.write_text("date,kind,name\n08/02/2027,holiday,Tết (theo quyết định)\n"
                    "2027-02-20,workday,Làm bù\n", encoding="utf-8")  # fmt: skip
    done = CliRunner().invoke(cli, ["feedback", "calendar", "set", "2027", str(good)])
    assert done.exit_code == 0, done.output
    session.expire_all()
    kinds = {d.day: d.kind for d in session.execute(select(CalendarDay)).scalars()}
    assert kinds == {date(2027, 2, 8): "holiday", date(2027, 2, 20): "workday"}
    shown = CliRunner().invoke(cli, ["feedback", "calendar", "show", "2027"])
    assert "20/02/2027\tworkday\tLàm bù\ttỉnh / province" in shown.output
    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind\n01/05/2027,holiday\n31/02/2027,holiday\n", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["feedback", "calendar", "set", "2027", str(bad)])
    assert refused.exit_code == 1 and "Dòng 3" in refused.output
    session.expire_all()
    assert len(session.execute(select(CalendarDay)).all()) == 2  # nothing half-written


def test_run_jobs_and_erasure(session: Session) -> None:
    seed(session)
    assert CliRunner().invoke(cli, ["feedback", "seed"]).exit_code == 0
    session.expire_all()
    long_ago = datetime.now(UTC) - timedelta(days=800)
    case = report(session, now=long_ago, source_key="ip:5f1c0e2a9b7d3e41").case
    case.status, case.closed_at = "closed", long_ago
    session.commit()
    done = CliRunner().invoke(cli, ["feedback", "run-jobs"])
    assert done.exit_code == 0, done.output
    assert "erased 1" in done.output
    session.expire_all()
    erased = session.get(Feedback, case.id)
    assert erased is not None and erased.reporter_phone is None and erased.phone_index is None
    assert erased.personal_data_erased_at is not None and erased.source_key == ""
    assert erased.description  # the case itself stays
