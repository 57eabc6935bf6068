"""Vietnamese and English texts of the organisation domain (errors, levels, sectors).

Imported by ``service`` and ``boundaries`` so the catalogue is filled whenever the domain
is used; holds no logic.
"""

from __future__ import annotations

from iocvn.core.i18n import register
from iocvn.org.agencies import SECTORS

register(
    {
        "error.no_province": (
            "Chưa cài đặt tỉnh nào; chạy iocvn init trước.",
            "No province is installed; run iocvn init first.",
        ),
        "error.unknown_province": (
            "Không có tỉnh, thành phố với mã {province}; xem danh sách mã hợp lệ trong chi tiết.",
            "There is no province with code {province}; the details list the valid codes.",
        ),
        "error.org_unit_not_found": (
            "Không tìm thấy đơn vị {unit}.",
            "Organisation unit {unit} was not found.",
        ),
        "error.org_unit_exists": (
            "Đơn vị {unit} đã tồn tại.",
            "Organisation unit {unit} already exists.",
        ),
        "error.invalid_level": (
            "Cấp đơn vị không hợp lệ: {level}.",
            "Unknown organisation level: {level}.",
        ),
        "error.invalid_pagination": (
            "Tham số phân trang không hợp lệ.",
            "The paging parameters are not valid.",
        ),
        "error.invalid_agency_code": (
            "Mã viết tắt của cơ quan chỉ gồm chữ in hoa và số, 2–16 ký tự.",
            "An agency abbreviation is 2–16 capital letters or digits.",
        ),
        "error.invalid_parent": (
            "Đơn vị cấp trên không hợp lệ: {unit}.",
            "The parent unit is not acceptable: {unit}.",
        ),
        "error.invalid_validity": (
            "Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực.",
            "The end of validity must not be before its start.",
        ),
        "error.field_not_editable": (
            "Không sửa được trường {field} của đơn vị cấp {level}.",
            "Field {field} cannot be edited on a unit of level {level}.",
        ),
        "error.field_required": (
            "Trường {field} không được để trống.",
            "Field {field} must not be empty.",
        ),
        "error.invalid_geojson": (
            "Tệp ranh giới không phải GeoJSON FeatureCollection hợp lệ; xem chi tiết.",
            "The boundary file is not a valid GeoJSON FeatureCollection; see details.",
        ),
        "error.no_boundary_matched": (
            "Không đối tượng nào trong tệp khớp với đơn vị hành chính đã có; không ghi gì.",
            "No feature in the file matches a known administrative unit; nothing was saved.",
        ),
        "org.import.all_loaded": (
            "Đã nạp ranh giới của mọi đối tượng trong tệp.",
            "Every feature in the file was loaded.",
        ),
        "org.import.partially_loaded": (
            "Đã nạp các đối tượng khớp; các đối tượng không khớp được liệt kê và không nạp.",
            "Matched features were loaded; unmatched ones are listed and were not loaded.",
        ),
        "org.level.province": ("Tỉnh, thành phố", "Province"),
        "org.level.commune": ("Xã, phường, đặc khu", "Commune"),
        "org.level.agency": ("Cơ quan, đơn vị", "Agency"),
    }
)
register({f"org.sector.{code}": label for code, label in SECTORS.items()})
