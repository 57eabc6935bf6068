"""Test helpers for the web pages: read the CSRF token of a form, log in through the form."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient


def csrf_of(html: str) -> str:
    """The CSRF token a page's form carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def login(client: TestClient, username: str, password: str, next_: str = "/") -> httpx.Response:
    """Post the login form as a browser would (the response is not followed)."""
    form = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(form.text),
            "next": next_,
        },
        follow_redirects=False,
    )
