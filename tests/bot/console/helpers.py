"""Helpers for console tests: a signed-in test client, CSRF tokens from real pages."""
from __future__ import annotations

import re
from typing import Optional

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ADMIN = ("alice.admin", "admin password 123")
REVIEWER = ("rob.reviewer", "reviewer password 123")


def csrf_token(client, path: str = "/sign-in") -> str:
    response = client.get(path)
    match = CSRF.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({response.status_code})"
    return match.group(1)


def sign_in(client, username: str, password: str, expect: Optional[int] = 302):
    token = csrf_token(client)
    response = client.post("/sign-in", data={"username": username, "password": password,
                                             "csrf_token": token})
    if expect is not None:
        assert response.status_code == expect, response.get_data(as_text=True)[:500]
    return response


def post(client, path: str, data: dict, page: str = "/conversations"):
    """A form post with the CSRF token of a page the user can open."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def captions(response) -> list:
    return re.findall(r"<caption>(.*?)</caption>", response.get_data(as_text=True))


def listed(response) -> set:
    """Conversation ids linked from a list page."""
    return set(re.findall(r'href="/conversations/view/([^"#?]+)"', response.get_data(as_text=True)))
