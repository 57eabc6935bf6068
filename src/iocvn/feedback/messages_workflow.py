"""Vietnamese and English texts of the feedback workflow: its refusals (each naming the
status and the step in words), the reporters' updates, and the names of statuses and steps."""

from iocvn.core.i18n import register

register(
    {
        # Labels come through _Label, in the message's language: ``{state:vi}`` / ``{state:en}``.
        "error.wrong_state": (
            "Phản ánh đang ở trạng thái «{state:vi}»: không thể thực hiện bước «{step:vi}».",
            "The case's status is “{state:en}”: the step “{step:en}” cannot be taken.",
        ),
        "error.not_your_case": (
            "Phản ánh này không được giao cho đơn vị của bạn.",
            "This case is not assigned to your unit.",
        ),
        "error.reason_required": ("Cần nêu lý do.", "A reason is required."),
        "error.answer_required": (
            "Cần nội dung trả lời công khai cho người dân.",
            "A public answer to the citizen is required.",
        ),
        "error.comment_text_required": ("Cần nhập nội dung ý kiến.", "A comment needs text."),
        "error.category_required": (
            "Phản ánh chưa được phân loại lĩnh vực: cần chọn một lĩnh vực để xác nhận phản ánh.",
            "The case has no category yet: choose one to accept it.",
        ),
        "error.remit_body_required": (
            "Cần nêu cơ quan có thẩm quyền giải quyết.",
            "Name the body that is responsible.",
        ),
        "error.transfer_target_required": (
            "Cần chọn đơn vị nhận hoặc nêu cơ quan ngoài hệ thống sẽ giải quyết.",
            "Choose the unit to transfer to, or name the body outside the system.",
        ),
        "error.same_unit": (
            "Phản ánh đã do đơn vị này xử lý: hãy chọn đơn vị khác.",
            "This unit already handles the case: choose another one.",
        ),
        "error.invalid_rating": ("Mức hài lòng từ 1 đến 5.", "Satisfaction is 1 to 5."),
        "error.invalid_priority": ("Mức ưu tiên không hợp lệ.", "Unknown priority."),
        "error.invalid_extension": (
            "Gia hạn từ 1 đến {max} ngày làm việc.",
            "An extension is 1 to {max} working days.",
        ),
        "error.extension_after_deadline": (
            "Phản ánh đã quá hạn xử lý (hạn {deadline}): chỉ gia hạn được trước khi hết hạn. "
            "Phản ánh quá hạn được chuyển lên IOC và lãnh đạo tỉnh theo dõi; đơn vị cần xử lý "
            "và báo cáo kết quả ngay.",
            "The case's deadline ({deadline}) has passed: an extension can only be approved "
            "before the deadline. An overdue case is escalated to the IOC and the province's "
            "leaders; the unit must resolve it and report the result now.",
        ),
        "error.unknown_commune": (
            "{area} không phải mã của một xã, phường hiện hành của tỉnh.",
            "{area} is not the code of a current commune of the province.",
        ),
        "error.duplicate_of_itself": (
            "Không thể gộp phản ánh vào chính nó.",
            "A case cannot be merged into itself.",
        ),
        "error.merge_target_not_open": (
            "Phản ánh {into} đang ở trạng thái «{state:vi}»: chỉ gộp được vào phản ánh chưa xử "
            "lý xong.",
            "Case {into} is “{state:en}”: a case can only be merged into one still open.",
        ),
        "fb.notify.subject": ("Phản ánh {code}: {status}", "Report {code}: {status}"),
        "fb.notify.body": (
            "Phản ánh {code} của bạn: {status}.\n{text}\nTheo dõi: {url}",
            "Your report {code}: {status}.\n{text}\nFollow it: {url}",
        ),
        "fb.notify.merged": (
            "Phản ánh của bạn trùng với phản ánh {into} và đã được gộp vào đó; bạn sẽ nhận "
            "các cập nhật của phản ánh {into}.",
            "Your report duplicates report {into} and was merged into it; you will receive "
            "the updates of report {into}.",
        ),
        "fb.notify.reopened": (
            "Người phản ánh cho biết vấn đề chưa được xử lý xong: phản ánh được mở lại và "
            "chuyển lại đơn vị xử lý, hạn giải quyết mới {deadline}.",
            "The reporter says the problem is not fixed: the report is reopened and back with "
            "the handling unit, to be resolved by {deadline}.",
        ),
        "fb.notify.confirmed": (
            "Người phản ánh đã xác nhận vấn đề được xử lý xong; phản ánh kết thúc.",
            "The reporter confirmed the problem is fixed; the report is closed.",
        ),
        "fb.notify.closed": (
            "Phản ánh đã kết thúc với kết quả xử lý đơn vị đã báo cáo.",
            "The report is closed with the result the handling unit reported.",
        ),
        "fb.notify.auto_closed": (
            "Phản ánh đã kết thúc: sau {days} ngày kể từ khi đơn vị báo cáo kết quả xử lý, "
            "không nhận được ý kiến của người phản ánh.",
            "The report is closed: no answer came from the reporter within {days} days of the "
            "unit reporting the result.",
        ),
        "fb.status.received": ("Đã tiếp nhận", "Received"),
        "fb.status.accepted": ("Đã xác nhận", "Accepted"),
        "fb.status.rejected": ("Từ chối", "Rejected"),
        "fb.status.assigned": ("Đã chuyển đơn vị xử lý", "Assigned"),
        "fb.status.in_progress": ("Đang xử lý", "In progress"),
        "fb.status.resolved": ("Đã xử lý", "Resolved"),
        "fb.status.closed": ("Đã đóng", "Closed"),
        # The steps, as the case page's buttons name them (fb.action.* in pages).
        "fb.step.accept": ("Xác nhận và chuyển xử lý", "Accept and assign"),
        "fb.step.reject": ("Từ chối", "Reject"),
        "fb.step.transfer": ("Chuyển đơn vị", "Transfer"),
        "fb.step.start": ("Bắt đầu xử lý", "Start work"),
        "fb.step.extend": ("Gia hạn", "Extend"),
        "fb.step.resolve": ("Báo cáo kết quả", "Report the result"),
        "fb.step.confirm": ("Xác nhận kết quả", "Confirm the result"),
        "fb.step.close": ("Đóng phản ánh", "Close"),
        "fb.step.merge": ("Gộp vào phản ánh khác", "Merge into another case"),
    }
)
