"""The agencies (sở, ban, ngành) every province has after the 2025 reorganisation.

Data only: ``service.seed_province`` turns this list into ``OrgUnit`` rows of level
``agency``. The list follows Nghị định 45/2025/NĐ-CP (the specialised agencies of a
provincial People's Committee after the March 2025 mergers: Sở Nông nghiệp và Môi trường,
Sở Xây dựng absorbing transport, Sở Khoa học và Công nghệ absorbing information and
communications, Sở Dân tộc và Tôn giáo) plus the provincial bodies an IOC works with that
are not specialised agencies (Văn phòng Đoàn ĐBQH và HĐND, Công an, Bộ Chỉ huy Quân sự).

Sở Dân tộc và Tôn giáo exists only where the ethnic-minority criteria are met (elsewhere
Sở Nội vụ holds the portfolio); it is seeded everywhere and a province without one sets
its ``valid_to``.

The IOC itself (Trung tâm Giám sát, điều hành thông minh, ``<province>.IOC``) is seeded
as a unit under Sở Khoa học và Công nghệ, not under the province: since Sở Thông tin và
Truyền thông merged into Sở KH&CN (March 2025) that is where most provincial IOCs sit. A
province whose IOC reports to Văn phòng UBND moves it with ``update_org_unit``.

Nothing here touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass

# Sector codes are stable identifiers (used by org scopes, indicators, routing);
# labels are (vi, en) and registered as ``org.sector.<code>`` by ``messages``.
SECTORS: dict[str, tuple[str, str]] = {
    "tong_hop": ("Tổng hợp", "General administration"),
    "dai_bieu_dan_cu": ("Dân cử", "Elected bodies"),
    "noi_vu": ("Nội vụ", "Home affairs"),
    "tu_phap": ("Tư pháp", "Justice"),
    "tai_chinh": ("Tài chính", "Finance"),
    "cong_thuong": ("Công thương", "Industry and trade"),
    "nong_nghiep_moi_truong": ("Nông nghiệp và môi trường", "Agriculture and environment"),
    "xay_dung": ("Xây dựng, giao thông", "Construction and transport"),
    "khoa_hoc_cong_nghe": ("Khoa học và công nghệ", "Science and technology"),
    "van_hoa_the_thao_du_lich": ("Văn hóa, thể thao và du lịch", "Culture, sports and tourism"),
    "giao_duc": ("Giáo dục và đào tạo", "Education and training"),
    "y_te": ("Y tế", "Health"),
    "dan_toc_ton_giao": ("Dân tộc và tôn giáo", "Ethnic minorities and religion"),
    "thanh_tra": ("Thanh tra", "Inspection"),
    "an_ninh_trat_tu": ("An ninh, trật tự", "Public security"),
    "quoc_phong": ("Quốc phòng", "Defence"),
    "chuyen_doi_so": ("Chuyển đổi số", "Digital transformation"),
}


@dataclass(frozen=True)
class AgencySeed:
    """One agency of the standard list; ``{cap}`` becomes ``tỉnh`` or ``thành phố``."""

    abbr: str
    name: str
    short_name: str
    sector: str
    unit_type: str = "Sở"
    parent_abbr: str | None = None  # None: directly under the province


AGENCIES: tuple[AgencySeed, ...] = (
    AgencySeed(
        "VPUBND", "Văn phòng Ủy ban nhân dân {cap}", "VP UBND {cap}", "tong_hop", "Văn phòng"
    ),
    AgencySeed(
        "VPDBQH",
        "Văn phòng Đoàn đại biểu Quốc hội và Hội đồng nhân dân {cap}",
        "VP Đoàn ĐBQH và HĐND {cap}",
        "dai_bieu_dan_cu",
        "Văn phòng",
    ),
    AgencySeed("SNV", "Sở Nội vụ", "Sở Nội vụ", "noi_vu"),
    AgencySeed("STP", "Sở Tư pháp", "Sở Tư pháp", "tu_phap"),
    AgencySeed("STC", "Sở Tài chính", "Sở Tài chính", "tai_chinh"),
    AgencySeed("SCT", "Sở Công Thương", "Sở Công Thương", "cong_thuong"),
    AgencySeed("SNNMT", "Sở Nông nghiệp và Môi trường", "Sở NN&MT", "nong_nghiep_moi_truong"),
    AgencySeed("SXD", "Sở Xây dựng", "Sở Xây dựng", "xay_dung"),
    AgencySeed("SKHCN", "Sở Khoa học và Công nghệ", "Sở KH&CN", "khoa_hoc_cong_nghe"),
    AgencySeed(
        "SVHTTDL",
        "Sở Văn hóa, Thể thao và Du lịch",
        "Sở VHTT&DL",
        "van_hoa_the_thao_du_lich",
    ),
    AgencySeed("SGDDT", "Sở Giáo dục và Đào tạo", "Sở GD&ĐT", "giao_duc"),
    AgencySeed("SYT", "Sở Y tế", "Sở Y tế", "y_te"),
    AgencySeed("SDTTG", "Sở Dân tộc và Tôn giáo", "Sở DT&TG", "dan_toc_ton_giao"),
    AgencySeed("TTR", "Thanh tra {cap}", "Thanh tra {cap}", "thanh_tra", "Thanh tra"),
    AgencySeed("CA", "Công an {cap}", "Công an {cap}", "an_ninh_trat_tu", "Công an"),
    AgencySeed("BCHQS", "Bộ Chỉ huy Quân sự {cap}", "Bộ CHQS {cap}", "quoc_phong", "Bộ Chỉ huy"),
    # The IOC itself, under Sở KH&CN (see the module docstring).
    AgencySeed(
        "IOC",
        "Trung tâm Giám sát, điều hành thông minh",
        "IOC",
        "chuyen_doi_so",
        unit_type="Trung tâm",
        parent_abbr="SKHCN",
    ),
)
