"""Vietnamese and English texts of the identity and access domain."""

from iocvn.core.i18n import register

register(
    {
        "error.user_not_found": ("Không tìm thấy tài khoản.", "No such account."),
        "error.unknown_org_unit": ("Không có đơn vị mã {code_value}.", "No org unit {code_value}."),
        "error.unknown_role": ("Vai trò không hợp lệ.", "Unknown role."),
        "error.role_org_mismatch": (
            "Vai trò này không thuộc loại đơn vị đã chọn.",
            "This role does not belong to that kind of org unit.",
        ),
        "error.invalid_username": (
            "Tên đăng nhập chỉ gồm chữ thường không dấu, số, dấu chấm, gạch dưới, gạch ngang "
            "(3–64 ký tự).",
            "A username is 3–64 lowercase letters, digits, dots, underscores or hyphens.",
        ),
        "error.username_taken": ("Tên đăng nhập đã được dùng.", "That username is taken."),
        "error.invalid_email": ("Địa chỉ thư điện tử không hợp lệ.", "Not an e-mail address."),
        "error.weak_password": (
            "Mật khẩu chưa đủ mạnh: ít nhất {min_length} ký tự, có chữ hoa, chữ thường và số "
            "(hoặc cụm từ từ 20 ký tự), không chứa tên đăng nhập.",
            "The password is too weak: at least {min_length} characters with upper and lower "
            "case and digits (or a passphrase of 20+), not containing the username.",
        ),
        "error.user_revoked": (
            "Tài khoản đã bị thu hồi vĩnh viễn.",
            "The account has been revoked for good.",
        ),
        "error.own_account": (
            "Không thể tự khóa hoặc thu hồi tài khoản đang dùng.",
            "You cannot lock or revoke the account you are using.",
        ),
        "error.user_not_active": ("Tài khoản không hoạt động.", "The account is not active."),
        "error.mfa_already_enabled": (
            "Tài khoản đã bật xác thực hai lớp.",
            "Two-factor authentication is already on.",
        ),
        "error.mfa_code_wrong": ("Mã xác thực không đúng.", "The code is not correct."),
        "error.mfa_not_started": (
            "Chưa bắt đầu đăng ký xác thực hai lớp.",
            "Two-factor enrolment has not started.",
        ),
        "error.token_not_found": ("Không tìm thấy mã truy cập.", "No such API token."),
        "error.unknown_token_scope": ("Phạm vi mã truy cập không hợp lệ.", "Unknown token scope."),
        "error.token_expiry_range": (
            "Thời hạn mã truy cập phải từ 1 đến 3650 ngày.",
            "A token expires after 1 to 3650 days.",
        ),
        "error.invalid_token": (
            "Mã truy cập không hợp lệ, đã hết hạn hoặc đã bị thu hồi.",
            "The API token is invalid, expired or revoked.",
        ),
        "error.token_read_only": (
            "Mã truy cập này chỉ được đọc.",
            "This API token is read-only.",
        ),
        "error.org_unit_missing": (
            "Đơn vị của tài khoản không tồn tại.",
            "The account's unit is missing.",
        ),
        "error.invalid_credentials": (
            "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đang tạm khóa.",
            "Wrong username or password, or the account is locked for now.",
        ),
        "auth.login": ("Đăng nhập", "Log in"),
        "auth.logout": ("Đăng xuất", "Log out"),
        "auth.username": ("Tên đăng nhập", "Username"),
        "auth.password": ("Mật khẩu", "Password"),
        "auth.mfa_title": ("Xác thực hai lớp", "Two-factor authentication"),
        "auth.mfa_code": ("Mã 6 số từ ứng dụng xác thực", "6-digit code from your authenticator"),
        "auth.mfa_code_or_recovery": (
            "Mã 6 số hoặc mã khôi phục",
            "6-digit code or a recovery code",
        ),
        "auth.verify": ("Xác nhận", "Verify"),
        "auth.enrol_title": ("Thiết lập xác thực hai lớp", "Set up two-factor authentication"),
        "auth.enrol_help": (
            "Quét mã QR bằng ứng dụng xác thực (Google Authenticator, Microsoft Authenticator, "
            "FreeOTP…) hoặc nhập khóa bí mật, rồi nhập mã 6 số để hoàn tất. Tài khoản quản trị "
            "bắt buộc bật xác thực hai lớp.",
            "Scan the QR code with an authenticator app (Google Authenticator, Microsoft "
            "Authenticator, FreeOTP…) or type the secret key, then enter the 6-digit code. "
            "Administrator accounts must use two-factor authentication.",
        ),
        "auth.secret_key": ("Khóa bí mật", "Secret key"),
        "auth.recovery_title": ("Mã khôi phục", "Recovery codes"),
        "auth.recovery_help": (
            "Lưu các mã này ở nơi an toàn. Mỗi mã dùng được một lần khi mất điện thoại. "
            "Mã chỉ hiển thị lần này.",
            "Keep these codes somewhere safe. Each works once if you lose your phone. "
            "They are shown only this time.",
        ),
        "auth.continue": ("Tiếp tục", "Continue"),
        "auth.session_expired": (
            "Phiên đăng nhập đã hết hạn, hãy đăng nhập lại.",
            "Your session has expired; log in again.",
        ),
        "auth.users": ("Tài khoản", "Accounts"),
        "auth.new_user": ("Cấp tài khoản mới", "Issue a new account"),
        "auth.role": ("Vai trò", "Role"),
        "auth.org_unit": ("Đơn vị", "Org unit"),
        "auth.display_name": ("Họ và tên", "Full name"),
        "auth.status": ("Trạng thái", "Status"),
        "auth.status.active": ("Hoạt động", "Active"),
        "auth.status.locked": ("Đã khóa", "Locked"),
        "auth.status.revoked": ("Đã thu hồi", "Revoked"),
        "auth.mfa": ("Xác thực 2 lớp", "2FA"),
        "auth.create": ("Cấp tài khoản", "Create account"),
        "auth.lock": ("Khóa", "Lock"),
        "auth.unlock": ("Mở khóa", "Unlock"),
        "auth.revoke": ("Thu hồi", "Revoke"),
        "auth.mfa_reset": ("Đặt lại xác thực 2 lớp", "Reset 2FA"),
        "auth.last_login": ("Đăng nhập gần nhất", "Last login"),
        "auth.created": ("Ngày cấp", "Issued"),
        "auth.user_created": ("Đã cấp tài khoản {username}.", "Account {username} issued."),
        "auth.user_locked": ("Đã khóa tài khoản {username}.", "Account {username} locked."),
        "auth.user_unlocked": ("Đã mở khóa tài khoản {username}.", "Account {username} unlocked."),
        "auth.user_revoked": ("Đã thu hồi tài khoản {username}.", "Account {username} revoked."),
        "auth.user_mfa_reset": (
            "Đã đặt lại xác thực hai lớp của {username}.",
            "Two-factor authentication of {username} reset.",
        ),
        "auth.confirm_revoke": (
            "Thu hồi vĩnh viễn tài khoản này?",
            "Revoke this account for good?",
        ),
        "auth.tokens": ("Mã truy cập API", "API tokens"),
        "auth.account": ("Tài khoản của tôi", "My account"),
        "auth.mfa_on": ("Đang bật", "On"),
        "auth.mfa_off": ("Chưa bật", "Off"),
        "auth.enable_mfa": ("Bật xác thực hai lớp", "Turn on two-factor authentication"),
        "role.admin": ("Quản trị hệ thống", "Administrator"),
        "role.leader": ("Lãnh đạo", "Leader"),
        "role.operator": ("Điều hành viên IOC", "IOC operator"),
        "role.agency_officer": ("Cán bộ sở, ban, ngành", "Agency officer"),
        "role.commune_officer": ("Cán bộ xã, phường", "Commune officer"),
        "role.data_steward": ("Quản trị dữ liệu", "Data steward"),
        "role.viewer": ("Người xem", "Viewer"),
        "role.integration": ("Hệ thống tích hợp", "Integration"),
    }
)
