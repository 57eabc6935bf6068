"""Texts of the web shell."""

from iocvn.core.i18n import register

register(
    {
        "app.name": ("IOC tỉnh", "Provincial IOC"),
        "app.full_name": (
            "Trung tâm giám sát, điều hành thông minh",
            "Intelligent Operations Center",
        ),
        "nav.home": ("Tổng quan", "Overview"),
        "nav.dashboard": ("Bảng điều hành", "Dashboard"),
        "nav.indicators": ("Chỉ số", "Indicators"),
        "nav.entry": ("Nhập số liệu", "Data entry"),
        "nav.approvals": ("Duyệt số liệu", "Approvals"),
        "nav.completeness": ("Tình hình báo cáo", "Reporting"),
        "nav.org": ("Đơn vị hành chính", "Org units"),
        "nav.users": ("Tài khoản", "Accounts"),
        "nav.audit": ("Nhật ký", "Audit log"),
        "nav.menu": ("Menu", "Menu"),
        "lang.switch": ("English", "Tiếng Việt"),
        "home.welcome": ("Xin chào, {name}", "Welcome, {name}"),
        "home.scope": ("Phạm vi dữ liệu", "Data scope"),
        "scope.province": ("Toàn tỉnh", "Whole province"),
        "scope.commune": ("Xã, phường của bạn", "Your commune"),
        "scope.agency": ("Ngành của bạn", "Your sector"),
        "home.communes": ("Xã, phường, đặc khu", "Communes and wards"),
        "home.agencies": ("Sở, ban, ngành", "Agencies"),
        "home.demo_note": (
            "Dữ liệu minh họa (demo) — không phải số liệu thống kê thật.",
            "Demo data — not real statistics.",
        ),
        "error.title": ("Có lỗi", "Something went wrong"),
        "error.back_home": ("Về trang chủ", "Back to the home page"),
        "common.search": ("Tìm", "Search"),
        "common.save": ("Lưu", "Save"),
        "common.cancel": ("Hủy", "Cancel"),
        "common.yes": ("Có", "Yes"),
        "common.no": ("Không", "No"),
        "common.none": ("Không có dữ liệu.", "Nothing to show."),
        "common.filter": ("Lọc", "Filter"),
        "common.time": ("Thời gian", "Time"),
        "common.name": ("Tên", "Name"),
        "common.code": ("Mã", "Code"),
    }
)
