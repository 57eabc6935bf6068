"""Texts of the feedback administration pages (``pages_admin``): Vietnamese, then English."""

from iocvn.core.i18n import register

register(
    {
        "nav.feedback_admin": ("Quản trị phản ánh", "Feedback administration"),
        "fbadmin.tabs": ("Quản trị phản ánh", "Feedback administration"),
        "fbadmin.categories": ("Danh mục lĩnh vực", "Category tree"),
        "fbadmin.routes": ("Phân công xử lý", "Routing table"),
        "fbadmin.rules": ("Các quy tắc phân công", "Routing rules"),
        "fbadmin.calendar": ("Lịch làm việc", "Working calendar"),
        "fbadmin.code": ("Mã", "Code"),
        "fbadmin.name_vi": ("Tên tiếng Việt", "Vietnamese name"),
        "fbadmin.name_en": ("Tên tiếng Anh", "English name"),
        "fbadmin.parent": ("Lĩnh vực cha", "Parent category"),
        "fbadmin.top_level": ("(Lĩnh vực cấp cao nhất)", "(Top level)"),
        "fbadmin.resolve_days": (
            "Thời hạn xử lý (ngày làm việc)",
            "Time to resolve (working days)",
        ),
        "fbadmin.resolve_days_hint": (
            "Áp dụng cho phản ánh mức thông thường; để trống hoặc 0: theo lĩnh vực cha, "
            "mặc định 10 ngày làm việc.",
            "For normal-priority cases; blank or 0: the parent's, by default 10 working days.",
        ),
        "fbadmin.inherited": ("theo lĩnh vực cha", "parent's"),
        "fbadmin.active": ("Đang dùng", "Active"),
        "fbadmin.inactive": ("Ngừng dùng", "Inactive"),
        "fbadmin.state": ("Tình trạng", "State"),
        "fbadmin.edit": ("Sửa", "Edit"),
        "fbadmin.edit_category": ("Sửa lĩnh vực {code}", "Edit category {code}"),
        "fbadmin.add_category": ("Thêm lĩnh vực", "Add a category"),
        "fbadmin.code_hint": (
            "Chữ thường không dấu, nối bằng dấu gạch dưới; lĩnh vực con bắt đầu bằng mã lĩnh "
            "vực cha và dấu chấm (giao_thong.cau_treo). Không đổi được sau khi tạo.",
            "Lower-case ASCII words joined by _; a child starts with its parent's code and a "
            "dot (giao_thong.cau_treo). It cannot change once created.",
        ),
        "fbadmin.save": ("Lưu", "Save"),
        "fbadmin.cancel": ("Quay lại danh mục", "Back to the tree"),
        "fbadmin.deactivate": ("Ngừng dùng", "Deactivate"),
        "fbadmin.activate": ("Dùng lại", "Reactivate"),
        "fbadmin.confirm_deactivate": (
            "Ngừng dùng lĩnh vực này? Phản ánh cũ vẫn giữ lĩnh vực; người dân không chọn được "
            "lĩnh vực này nữa.",
            "Deactivate this category? Old cases keep it; citizens can no longer choose it.",
        ),
        "fbadmin.never_deleted": (
            "Lĩnh vực không bị xóa, chỉ ngừng dùng, để các phản ánh cũ giữ nguyên lĩnh vực. "
            "Mọi thay đổi được ghi nhật ký.",
            "Categories are never deleted, only deactivated, so old cases keep theirs. Every "
            "change is logged.",
        ),
        "fbadmin.done.added": ("Đã thêm.", "Added."),
        "fbadmin.done.saved": ("Đã lưu.", "Saved."),
        "fbadmin.done.deactivated": ("Đã ngừng dùng lĩnh vực.", "Category deactivated."),
        "fbadmin.done.activated": ("Đã dùng lại lĩnh vực.", "Category reactivated."),
        "fbadmin.done.deleted": ("Đã xóa quy tắc.", "Rule deleted."),
        "fbadmin.cat.bad_code": (
            "Mã lĩnh vực chỉ gồm chữ, số, dấu chấm và dấu gạch dưới, tối đa 64 ký tự.",
            "A category code holds only letters, digits, dots and underscores, at most 64.",
        ),
        "fbadmin.cat.bad_name": ("Cần nhập tên tiếng Việt.", "The Vietnamese name is required."),
        "fbadmin.cat.bad_parent": (
            "Lĩnh vực cha không được là chính lĩnh vực này hoặc một lĩnh vực con của nó.",
            "The parent cannot be the category itself or one of its children.",
        ),
        "fbadmin.cat.bad_days": (
            "Thời hạn xử lý phải là số nguyên từ 0 đến 365 ngày làm việc.",
            "The time to resolve must be a whole number from 0 to 365 working days.",
        ),
        "fbadmin.cat.exists": (
            "Đã có lĩnh vực mã {category}; hãy sửa lĩnh vực đó.",
            "There is already a category {category}; edit it instead.",
        ),
        "fbadmin.any_category": ("Mọi lĩnh vực", "Any category"),
        "fbadmin.any_commune": ("Mọi xã, phường", "Any commune"),
        "fbadmin.all": ("Tất cả", "All"),
        "fbadmin.unknown_category": ("Chưa rõ lĩnh vực", "Category not known"),
        "fbadmin.unknown_place": ("Chưa rõ địa điểm", "Place not known"),
        "fbadmin.note": ("Ghi chú", "Note"),
        "fbadmin.add_route": ("Thêm hoặc thay quy tắc", "Add or replace a rule"),
        "fbadmin.route_replaces": (
            "Một lĩnh vực và một xã, phường chỉ có một quy tắc: quy tắc mới thay quy tắc cũ.",
            "A category and commune have one rule: a new one replaces the old.",
        ),
        "fbadmin.routing_order": (
            "Quy tắc cụ thể nhất được áp dụng: (lĩnh vực, xã) → (lĩnh vực cha, xã) → (lĩnh "
            "vực) → (lĩnh vực cha) → (mọi lĩnh vực, xã); không có quy tắc nào thì chuyển UBND "
            "xã, phường nơi xảy ra; không rõ địa điểm thì theo quy tắc mặc định của tỉnh.",
            "The most specific rule applies: (category, commune) → (parent category, commune) → "
            "(category) → (parent category) → (any category, commune); with none, the commune "
            "where it happens; without a place, the province's default rule.",
        ),
        "fbadmin.delete": ("Xóa", "Delete"),
        "fbadmin.confirm_delete_route": (
            "Xóa quy tắc phân công này? Phản ánh mới sẽ theo quy tắc chung hơn.",
            "Delete this routing rule? New cases will follow a more general one.",
        ),
        "fbadmin.rules_count": ("{n} quy tắc", "{n} rules"),
        "fbadmin.check": ("Phản ánh này sẽ chuyển tới đâu?", "Who would receive a report?"),
        "fbadmin.check_button": ("Kiểm tra", "Check"),
        "fbadmin.check.rule": (
            "Chuyển tới {unit} theo quy tắc ({category}; {area}).",
            "Goes to {unit} by the rule ({category}; {area}).",
        ),
        "fbadmin.check.commune": (
            "Chuyển tới {unit}: không có quy tắc nào, phản ánh thuộc xã, phường nơi xảy ra.",
            "Goes to {unit}: no rule applies, so the commune where it happens handles it.",
        ),
        "fbadmin.check.none": (
            "Không có quy tắc nào: phản ánh chờ Trung tâm IOC phân loại, phân công.",
            "No rule applies: the case waits for the IOC's triage.",
        ),
        "fbadmin.matched": ("đang áp dụng", "applies"),
        "fbadmin.year": ("Năm", "Year"),
        "fbadmin.show": ("Xem", "Show"),
        "fbadmin.prev_year": ("← Năm {year}", "← {year}"),
        "fbadmin.next_year": ("Năm {year} →", "{year} →"),
        "fbadmin.cal.hours": ("Giờ làm việc", "Working hours"),
        "fbadmin.cal.hours_note": (
            "Giờ làm việc và các ngày làm việc trong tuần là mặc định của hệ thống (giờ Việt "
            "Nam); trang này chỉnh các ngày nghỉ và ngày làm bù của từng năm.",
            "Working hours and weekdays are the system's defaults (Vietnam time); this page "
            "edits each year's days off and extra working days.",
        ),
        "fbadmin.cal.working_days": (
            "Năm {year} có {n} ngày làm việc.",
            "{year} has {n} working days.",
        ),
        "fbadmin.cal.days": (
            "Ngày nghỉ và ngày làm bù năm {year}",
            "Days off and worked days, {year}",
        ),
        "fbadmin.cal.day": ("Ngày", "Date"),
        "fbadmin.cal.weekday": ("Thứ", "Weekday"),
        "fbadmin.cal.kind": ("Loại", "Kind"),
        "fbadmin.cal.name": ("Tên, lý do", "Name, reason"),
        "fbadmin.cal.source": ("Nguồn", "Source"),
        "fbadmin.cal.kind.holiday": ("Ngày nghỉ", "Day off"),
        "fbadmin.cal.kind.workday": ("Ngày làm việc (làm bù)", "Working day (worked)"),
        "fbadmin.cal.default": ("Mặc định", "Default"),
        "fbadmin.cal.edited": ("Tỉnh điều chỉnh", "Province's edit"),
        "fbadmin.cal.edits": ("Điều chỉnh của tỉnh năm {year}", "The province's edits, {year}"),
        "fbadmin.cal.edits_note": (
            "Nhập ngày dạng dd/mm/yyyy. «Ngày nghỉ» thêm một ngày nghỉ; «Ngày làm việc» bỏ một "
            "ngày nghỉ mặc định hoặc thêm một ngày làm bù vào thứ Bảy, Chủ nhật. Đánh dấu «Xóa» "
            "hoặc xóa ngày để bỏ một điều chỉnh. Lưu sẽ thay toàn bộ điều chỉnh của năm và tính "
            "lại lịch ngay.",
            "Type dates as dd/mm/yyyy. “Day off” adds a day off; “Working day” cancels a default "
            "day off or adds a worked Saturday or Sunday. Tick “Remove” or clear the date to drop "
            "an edit. Saving replaces all of the year's edits and takes effect at once.",
        ),
        "fbadmin.cal.remove": ("Xóa", "Remove"),
        "fbadmin.cal.save": ("Lưu lịch năm {year}", "Save {year}"),
        "fbadmin.cal.saved": ("Đã lưu lịch làm việc năm {year}.", "The {year} calendar is saved."),
        "fbadmin.cal.bad_date": (
            "Dòng {row}: ngày «{text}» không đúng dạng dd/mm/yyyy.",
            "Row {row}: «{text}» is not a date as dd/mm/yyyy.",
        ),
        "fbadmin.cal.other_year": (
            "Dòng {row}: ngày {day} không thuộc năm {year}.",
            "Row {row}: {day} is not in {year}.",
        ),
        "fbadmin.cal.twice": (
            "Ngày {day} được nhập hai lần.",
            "{day} is entered twice.",
        ),
        "fbadmin.cal.bad_year": (
            "Năm phải từ {first} đến {last}.",
            "The year must be from {first} to {last}.",
        ),
        "fbadmin.weekday.0": ("Thứ Hai", "Monday"),
        "fbadmin.weekday.1": ("Thứ Ba", "Tuesday"),
        "fbadmin.weekday.2": ("Thứ Tư", "Wednesday"),
        "fbadmin.weekday.3": ("Thứ Năm", "Thursday"),
        "fbadmin.weekday.4": ("Thứ Sáu", "Friday"),
        "fbadmin.weekday.5": ("Thứ Bảy", "Saturday"),
        "fbadmin.weekday.6": ("Chủ nhật", "Sunday"),
    }
)
