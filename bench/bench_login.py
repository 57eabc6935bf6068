"""Password check (argon2id): deliberately slow enough to make guessing expensive."""

from __future__ import annotations

from common import measure, report

from iocvn.auth.passwords import hash_password, verify_password


def main() -> None:
    stored = hash_password("Mật-khẩu-thử-nghiệm-2026")
    report("argon2id verify (login)", measure(lambda: verify_password(stored, "sai"), repeat=30))


if __name__ == "__main__":
    main()
