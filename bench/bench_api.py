"""API latency in process (no network): the contract routes of issue #2 on Lạng Sơn."""

from __future__ import annotations

from common import fresh_database, measure, report


def main() -> None:
    with fresh_database():
        from fastapi.testclient import TestClient

        from iocvn.app import create_app
        from iocvn.auth import credentials
        from iocvn.auth import service as users
        from iocvn.config import get_settings
        from iocvn.core.context import Actor
        from iocvn.db import transaction

        with transaction() as s:
            user = users.create_user(s, Actor("bench"), users.NewUser("bench", "leader", "20"))
            token, _ = credentials.create_token(s, Actor("bench"), user)
        client = TestClient(create_app(get_settings()))
        headers = {"Authorization": f"Bearer {token}"}
        for name, url in [
            ("GET /api/v1/me", "/api/v1/me"),
            ("GET /api/v1/org-units?level=commune (65)", "/api/v1/org-units?level=commune"),
            ("GET /api/v1/org-units/05977 (geometry)", "/api/v1/org-units/05977"),
            ("GET /api/v1/org-units/boundaries (65 polygons)", "/api/v1/org-units/boundaries"),
            ("GET /healthz", "/healthz"),
        ]:

            def call(url: str = url) -> None:
                assert client.get(url, headers=headers).status_code == 200

            report(name, measure(call, repeat=200))


if __name__ == "__main__":
    main()
