"""``iocvn org …`` and ``iocvn init`` through the full command line, on the test database (the
settings point the CLI at it): boundary import reports, provinces, old names, idempotent init.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from iocvn.cli import app
from iocvn.org.models import OrgUnit
from tests.factories.org import (
    audit_actions,
    boundary_file,
    collection,
    count_units,
    feature,
    seed,
    square,
)

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    """Invoke ``iocvn``; its exit code and everything it printed (stdout and stderr)."""
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def tuyen_quang(session: Session) -> Session:
    """Tuyên Quang seeded and committed (iocvn ships no boundaries for it)."""
    seed(session, "08")
    return session


def geometries(session: Session, province: str) -> int:
    """How many units of ``province`` carry a boundary (read afresh)."""
    session.expire_all()
    units = session.execute(select(OrgUnit).where(OrgUnit.province_code == province)).scalars()
    return sum(1 for u in units if u.geometry is not None)


def test_import_boundaries_prints_what_matched(
    tuyen_quang: Session, shared_data: Path, tmp_path: Path
) -> None:
    assert geometries(tuyen_quang, "08") == 0
    code, out = run("org", "import-boundaries", str(shared_data / "tuyen-quang-boundaries.geojson"))
    assert code == 0, out
    assert (
        "125 đối tượng / features: 125 khớp mã / by code, 0 khớp tên / by name, "
        "125 cập nhật / updated, 0 không đổi / unchanged"
    ) in out
    assert "UNMATCHED" not in out and "units without boundary" not in out
    assert geometries(tuyen_quang, "08") == 125
    assert audit_actions(tuyen_quang, "org.import") == ["org.import_boundaries"]
    # The same file again changes nothing.
    code, out = run("org", "import-boundaries", str(shared_data / "tuyen-quang-boundaries.geojson"))
    assert code == 0 and "0 cập nhật / updated, 125 không đổi / unchanged" in out


def test_import_boundaries_names_the_unmatched_feature_and_its_line(
    tuyen_quang: Session, shared_data: Path, tmp_path: Path
) -> None:
    features = boundary_file(shared_data, "08")["features"][:3]
    features.append(feature(square(105.2, 22.0), code="99999", name="Xã Không Có"))
    path = tmp_path / "tq.geojson"
    # One feature a line after the opening line: the fourth feature starts on line 5.
    lines = [json.dumps(f, ensure_ascii=False) for f in features]
    path.write_text(
        '{"type": "FeatureCollection", "features": [\n' + ",\n".join(lines) + "\n]}\n",
        encoding="utf-8",
    )
    code, out = run("org", "import-boundaries", str(path))
    assert code == 0, out
    assert "4 đối tượng / features: 3 khớp mã / by code, 0 khớp tên / by name" in out
    assert 'KHÔNG KHỚP / UNMATCHED dòng / line 5: no_match {"code": "99999"' in out
    assert "Xã Không Có" in out
    assert "units without boundary" in out  # the communes the file left out are listed
    assert geometries(tuyen_quang, "08") == 3


def test_import_boundaries_refuses_a_file_that_is_not_geojson(
    tuyen_quang: Session, tmp_path: Path
) -> None:
    path = tmp_path / "ranh-gioi.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [\n  {"type": ', encoding="utf-8")
    code, out = run("org", "import-boundaries", str(path))
    assert code == 1
    assert "[invalid_geojson]" in out and '"reason": "malformed_json"' in out
    assert '"line": 2' in out
    not_collection = tmp_path / "feature.geojson"
    not_collection.write_text(json.dumps(feature(square(105, 22))), encoding="utf-8")
    code, out = run("org", "import-boundaries", str(not_collection))
    assert code == 1 and "not_a_feature_collection" in out
    assert geometries(tuyen_quang, "08") == 0
    assert audit_actions(tuyen_quang, "org.import") == []


def test_import_boundaries_with_nothing_matching_fails(
    tuyen_quang: Session, tmp_path: Path
) -> None:
    path = tmp_path / "khac.geojson"
    path.write_text(
        json.dumps(collection(feature(square(105, 22), code="99999", name="Xã Không Có"))),
        encoding="utf-8",
    )
    code, out = run("org", "import-boundaries", str(path))
    assert code == 1 and "[no_boundary_matched]" in out
    assert geometries(tuyen_quang, "08") == 0


def test_provinces_lists_the_34(db: object) -> None:
    code, out = run("org", "provinces")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 34
    lang_son = next(line for line in lines if line.startswith("20 "))
    assert "Tỉnh Lạng Sơn" in lang_son and lang_son.endswith("65 xã/phường")


def test_old_name_finds_the_commune_it_became(session: Session) -> None:
    seed(session)
    code, out = run("org", "old-name", "Vĩnh Trại")
    assert code == 0, out
    assert out.strip() == "Phường Vĩnh Trại (Thành phố Lạng Sơn)  →  Phường Đông Kinh (05977)"
    code, out = run("org", "old-name", "Không Có Tên Này")
    assert code == 1 and "not found" in out


def test_list_searches_without_accents(session: Session) -> None:
    seed(session)
    code, out = run("org", "list", "--level", "commune", "--q", "dong kinh")
    assert code == 0 and out.split() == ["05977", "commune", "Phường", "Đông", "Kinh"]
    code, out = run("org", "list", "--level", "district")
    assert code == 1 and "[invalid_level]" in out


def test_init_refuses_an_unknown_province(
    db: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run("init", "--province", "99")
    assert code == 1 and "[unknown_province]" in out
    assert not (tmp_path / ".env").exists()  # the test settings already hold the keys


def test_init_twice_is_idempotent(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run("init", "--province", "20")
    assert code == 0, out
    assert "Tỉnh Lạng Sơn (20): 65 xã" in out and "mới / created 83" in out
    assert "ranh giới / boundaries 66" in out  # the province and its 65 communes
    code, out = run("init", "--province", "20")
    assert code == 0, out
    assert "mới / created 0, cập nhật / updated 0" in out
    assert count_units(session) == 83
    assert audit_actions(session, "org.") == ["org.seed"]  # the second run changed nothing
    assert not (tmp_path / ".env").exists()
    code, out = run("init", "--province", "08")
    assert code == 1 and "already belongs to province 20" in out
    assert count_units(session) == 83
