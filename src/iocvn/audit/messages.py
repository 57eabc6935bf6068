"""Texts of the audit domain."""

from iocvn.core.i18n import register

register(
    {
        "audit.title": ("Nhật ký hệ thống", "Audit log"),
        "audit.actor": ("Người thực hiện", "Actor"),
        "audit.action": ("Thao tác", "Action"),
        "audit.target": ("Đối tượng", "Target"),
        "audit.change": ("Thay đổi", "Change"),
        "audit.since": ("Từ ngày", "From"),
        "audit.until": ("Trước ngày", "Before"),
        "audit.older": ("Cũ hơn →", "Older →"),
        "audit.ip": ("Địa chỉ IP", "IP address"),
        "audit.help": (
            "Mỗi thay đổi được ghi một lần, nối chuỗi bằng mã băm; không sửa, không xóa được. "
            "Kiểm tra toàn vẹn: iocvn audit verify.",
            "Every change is written once and hash-chained; entries cannot be edited or "
            "deleted. Check integrity with: iocvn audit verify.",
        ),
        # iocvn audit verify / list (cli.py); reasons are Verification.reason codes.
        "audit.intact": (
            "Nhật ký kiểm toán toàn vẹn: {count} bản ghi",
            "Audit log intact: {count} entries",
        ),
        "audit.broken": (
            "Nhật ký kiểm toán KHÔNG toàn vẹn từ bản ghi số {seq} "
            "({checked} bản ghi trước đó hợp lệ)",
            "Audit log NOT intact from entry {seq} ({checked} earlier entries are valid)",
        ),
        "audit.entry_gone": (
            "Bản ghi số {seq} không còn trong cơ sở dữ liệu",
            "Entry {seq} is no longer in the database",
        ),
        "audit.no_entries": ("Không có bản ghi nào.", "No entries."),
        "audit.db_error": (
            "Không đọc được nhật ký kiểm toán: {error}",
            "Cannot read the audit log: {error}",
        ),
        "audit.bad_date": (
            "Ngày không hợp lệ: {value} (dd/mm/yyyy hoặc yyyy-mm-dd)",
            "Not a date: {value} (dd/mm/yyyy or yyyy-mm-dd)",
        ),
        "audit.reason.missing_entry": (
            "bản ghi bị xóa (thiếu số thứ tự)",
            "entry removed (a sequence number is missing)",
        ),
        "audit.reason.broken_link": (
            "chuỗi liên kết bị đứt (bản ghi bị chèn, xóa hoặc đổi thứ tự)",
            "chain link broken (entries inserted, removed or reordered)",
        ),
        "audit.reason.altered_entry": (
            "nội dung bản ghi đã bị sửa",
            "entry content was altered",
        ),
        "audit.reason.truncated_tail": (
            "các bản ghi cuối đã bị xóa",
            "the newest entries were removed",
        ),
        "audit.reason.head_mismatch": (
            "bản ghi cuối không khớp với đầu chuỗi đã lưu",
            "the last entry does not match the recorded chain head",
        ),
        "audit.reason.entry_after_head": (
            "có bản ghi lạ nằm sau đầu chuỗi",
            "unexpected entries after the chain head",
        ),
        "audit.reason.head_missing": (
            "dòng đầu chuỗi (audit_head) đã bị xóa",
            "the chain head row (audit_head) was removed",
        ),
    }
)
