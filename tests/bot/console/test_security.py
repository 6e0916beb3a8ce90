"""Security: no anonymous access anywhere, CSRF, roles, rate limiting, injection, cookies."""
from __future__ import annotations

import os
import re
import stat

import pytest
from sqlalchemy import func, select, text

from bot.console import auth
from bot.console.secret import load_secret_key
from bot.db.models import AuditEntry, ConversationNote, StaffUser
from bot.settings import ConsoleSettings
from tests.bot.console.helpers import ADMIN, REVIEWER, captions, csrf_token, listed, post, sign_in

PUBLIC = {"static", "auth.login"}  # the sign-in page and its stylesheet


def example_url(rule) -> str:
    """A concrete URL for a rule (inside a request context)."""
    from flask import url_for
    from werkzeug.routing import IntegerConverter

    values = {name: 1 if isinstance(rule._converters[name], IntegerConverter) else "gen-00001"
              for name in rule.arguments}
    return url_for(rule.endpoint, **values)


def test_every_route_refuses_anonymous_access(app, anonymous):
    checked = 0
    with app.test_request_context():
        rules = [(rule, example_url(rule)) for rule in app.url_map.iter_rules()]
    for rule, url in rules:
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = anonymous.open(url, method=method)
            assert response.status_code in (302, 401, 400), (method, url, response.status_code)
            if response.status_code == 302:
                assert "/sign-in" in response.headers["Location"], (method, url)
            if response.status_code == 400:  # POST without CSRF token: refused before the view
                assert method == "POST"
            for leaked in (b"Transcript", b"newest activity", b"catalogue answer", b"<table"):
                assert leaked not in response.data, (method, url)
            checked += 1
    assert checked >= 25
    # exports answer 401 rather than a page
    assert anonymous.get("/export/conversations.csv").status_code == 401


def test_anonymous_post_with_a_valid_token_is_still_refused(app, anonymous):
    with app.test_request_context():
        rules = [(rule, example_url(rule)) for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    for rule, url in rules:
        if rule.endpoint in PUBLIC:
            continue
        token = csrf_token(anonymous)  # the sign-in page gives any visitor a token
        response = anonymous.post(url, data={"csrf_token": token, "sender_id": "gen-00001", "confirm": "gen-00001",
                                             "tag": "x", "text": "x", "reviewed": "1"})
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], url


def test_static_serves_only_the_stylesheet(anonymous):
    assert anonymous.get("/static/console.css").status_code == 200
    assert anonymous.get("/static/../views.py").status_code == 404


def test_csrf_is_enforced_on_every_form(admin, populated):
    for path, data in [("/conversations/review", {"sender_id": "gen-00001", "reviewed": "1"}),
                       ("/conversations/tag", {"sender_id": "gen-00001", "tag": "x"}),
                       ("/conversations/note", {"sender_id": "gen-00001", "text": "x"}),
                       ("/conversations/delete", {"sender_id": "gen-00001", "confirm": "gen-00001"}),
                       ("/admin/users", {"username": "mallory", "password": "p" * 20, "role": "admin"})]:
        assert admin.post(path, data=data).status_code == 400
        assert admin.post(path, data={**data, "csrf_token": "forged"}).status_code == 400
    with populated["engine"].connect() as connection:
        assert connection.execute(select(func.count()).select_from(ConversationNote.__table__)).scalar() == 0
        assert connection.execute(select(StaffUser.__table__.c.id).where(
            StaffUser.__table__.c.username == "mallory")).first() is None
    # sign-in itself needs the token too
    assert admin.application.test_client().post(
        "/sign-in", data={"username": ADMIN[0], "password": ADMIN[1]}).status_code == 400


def test_reviewer_cannot_do_admin_actions(reviewer, populated):
    assert reviewer.get("/admin/audit").status_code == 403
    assert reviewer.get("/admin/users").status_code == 403
    assert post(reviewer, "/admin/users", {"username": "eve", "password": "p" * 20, "role": "admin"}).status_code == 403
    assert post(reviewer, "/admin/users/1", {"role": "reviewer"}).status_code == 403
    response = post(reviewer, "/conversations/delete", {"sender_id": "gen-00001", "confirm": "gen-00001"})
    assert response.status_code == 403
    assert reviewer.get("/conversations/view/gen-00001").status_code == 200  # still there
    page = reviewer.get("/conversations").get_data(as_text=True)
    assert "Audit log" not in page and "Staff accounts" not in page
    with populated["engine"].connect() as connection:
        roles = dict(connection.execute(select(StaffUser.__table__.c.username, StaffUser.__table__.c.role)).all())
    assert roles == {ADMIN[0]: "admin", REVIEWER[0]: "reviewer"}


def test_passwords_are_argon2id_hashes(populated):
    with populated["engine"].connect() as connection:
        hashes = connection.execute(select(StaffUser.__table__.c.password_hash)).scalars().all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(ADMIN[1] in h or REVIEWER[1] in h for h in hashes)


def test_session_cookie_is_httponly_samesite_and_expires(app):
    client = app.test_client()
    response = sign_in(client, *REVIEWER)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("console_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'none': no scripts


def test_session_expires_server_side(app, monkeypatch):
    client = app.test_client()
    sign_in(client, *REVIEWER)
    assert client.get("/conversations").status_code == 200
    with client.session_transaction() as session:
        session["t"] -= app.config["CONSOLE"].session_hours * 3600 + 1
    assert client.get("/conversations").status_code == 302


def test_deactivated_account_loses_its_session(admin, app, populated):
    client = app.test_client()
    sign_in(client, *REVIEWER)
    with populated["engine"].connect() as connection:
        reviewer_id = connection.execute(select(StaffUser.__table__.c.id).where(
            StaffUser.__table__.c.username == REVIEWER[0])).scalar()
    assert post(admin, f"/admin/users/{reviewer_id}", {"active": "0"}, "/admin/users").status_code == 302
    assert client.get("/conversations").status_code == 302


def test_a_cookie_replayed_after_sign_out_gets_the_sign_in_page(app, populated):
    client = app.test_client()
    sign_in(client, *REVIEWER)
    name = app.config["SESSION_COOKIE_NAME"]
    saved = client.get_cookie(name).value
    assert client.get("/conversations").status_code == 200
    assert post(client, "/sign-out", {}).status_code == 302
    replay = app.test_client()
    replay.set_cookie(name, saved)
    response = replay.get("/conversations")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    # signing in again works, with a fresh session
    sign_in(replay, *REVIEWER)
    assert replay.get("/conversations").status_code == 200


def test_failed_sign_ins_are_rate_limited_across_clients(app, populated):
    limit = app.config["CONSOLE"].max_failed_logins
    for _ in range(limit):
        client = app.test_client()  # a new client each time: the limit is in the database
        response = sign_in(client, REVIEWER[0], "wrong password!!", expect=401)
        assert "Wrong username or password" in response.get_data(as_text=True)
    response = sign_in(app.test_client(), REVIEWER[0], REVIEWER[1], expect=429)  # even the right password
    assert "Too many failed sign-ins" in response.get_data(as_text=True)
    sign_in(app.test_client(), ADMIN[0], ADMIN[1], expect=302)  # other accounts unaffected
    with populated["engine"].connect() as connection:
        actions = connection.execute(select(AuditEntry.__table__.c.action)).scalars().all()
    assert actions.count("sign_in_failed") == limit and "sign_in_blocked" in actions


def test_an_attack_on_an_account_does_not_lock_out_its_owner_on_her_own_computer(app, populated):
    """The lockout an attacker causes (a guessable username, or the clinic's one
    address) stops the attacker, while the right password from a browser where
    the account signed in before still works; that browser is limited on its own."""
    limit = app.config["CONSOLE"].max_failed_logins
    nurse = app.test_client()
    sign_in(nurse, REVIEWER[0], REVIEWER[1], expect=302)  # her computer: now a known device
    assert nurse.get_cookie(auth.DEVICE_COOKIE, path="/sign-in") is not None
    nurse.post("/sign-out", data={"csrf_token": csrf_token(nurse, "/conversations")})
    for _ in range(limit + 3):  # somebody else, elsewhere, guessing her password
        assert sign_in(app.test_client(), REVIEWER[0], "guessing!!1", expect=None).status_code in (401, 429)
    sign_in(app.test_client(), REVIEWER[0], REVIEWER[1], expect=429)  # a new browser: still locked
    sign_in(nurse, REVIEWER[0], REVIEWER[1], expect=302)  # her own: signs in
    nurse.post("/sign-out", data={"csrf_token": csrf_token(nurse, "/conversations")})
    for _ in range(limit):  # a stolen device cookie is limited too
        sign_in(nurse, REVIEWER[0], "wrong again!!", expect=401)
    sign_in(nurse, REVIEWER[0], REVIEWER[1], expect=429)


def test_unknown_user_and_open_redirect(app):
    sign_in(app.test_client(), "nobody", "whatever password", expect=401)
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/sign-in", data={"username": ADMIN[0], "password": ADMIN[1], "csrf_token": token,
                                             "next": "//evil.example/x"})
    assert response.headers["Location"] == "/conversations"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/ /evil.example",
                                    "/\\evil.example", "https://evil.example/"])
def test_sign_in_next_accepts_only_local_paths(app, populated, target):
    client = app.test_client()
    response = client.post("/sign-in", data={"username": ADMIN[0], "password": ADMIN[1],
                                             "csrf_token": csrf_token(client), "next": target})
    assert response.headers["Location"] == "/conversations"


@pytest.mark.parametrize("path", ["/admin/users/{n}", "/queues/callbacks/{n}/status",
                                  "/queues/callbacks/{n}/phone", "/flags/{n}/delete"])
@pytest.mark.parametrize("number", ["99999999999999999999999", "2147483648", "0"])
def test_ids_out_of_range_are_not_found_not_a_server_error(admin, populated, path, number):
    response = post(admin, path.format(n=number), {"active": "0", "status": "done"}, "/admin/users")
    assert response.status_code == 404


INJECTIONS = ["' OR '1'='1", "x'; DROP TABLE events; --", "%", "_", "\\", "<script>alert(1)</script>",
              "gen-%' UNION SELECT * FROM staff_users --"]


def test_sql_injection_in_filters_does_nothing(admin, populated):
    total = captions(admin.get("/conversations"))[0]
    for value in INJECTIONS:
        for field in ("q", "channel", "answer", "outcome", "tag", "reviewed", "problem", "date_from"):
            response = admin.get("/conversations", query_string={field: value})
            assert response.status_code == 200, (field, value)
            body = response.get_data(as_text=True)
            assert "<script>alert(1)</script>" not in body
            if field in ("q", "channel", "answer", "outcome", "tag"):
                assert listed(response) == set(), (field, value)  # matches literally: nothing
        assert admin.get("/admin/audit", query_string={"user": value, "target": value}).status_code == 200
    with populated["engine"].connect() as connection:
        assert connection.execute(text("select count(*) from events")).scalar() > 0
        assert connection.execute(text("select count(*) from staff_users")).scalar() == 2
    assert captions(admin.get("/conversations"))[0] == total


def test_html_injection_in_notes_and_tags_is_escaped(admin, populated):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    post(admin, "/conversations/note", {"sender_id": "gen-00001", "text": payload})
    post(admin, "/conversations/tag", {"sender_id": "gen-00001", "tag": "<b>bold</b>"})  # refused: not a tag
    body = admin.get("/conversations/view/gen-00001").get_data(as_text=True)
    assert payload not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
    assert "<b>bold</b>" not in body and "A tag is 1 to 48" in body


def test_secret_key_file_is_created_once_with_mode_600(tmp_path):
    settings = ConsoleSettings(secret_key="", secret_file=tmp_path / "var" / "console_secret")
    first = load_secret_key(settings)
    assert len(first) >= 40 and load_secret_key(settings) == first
    assert stat.S_IMODE(os.stat(tmp_path / "var" / "console_secret").st_mode) == 0o600
    assert load_secret_key(ConsoleSettings(secret_key="from-env" * 5)) == "from-env" * 5


def test_weak_passwords_and_bad_roles_are_refused(populated):
    with populated["engine"].begin() as connection:
        with pytest.raises(ValueError):
            auth.create_user(connection, "short", "tooshort", "reviewer")
        with pytest.raises(ValueError):
            auth.create_user(connection, "root", "long enough password", "superuser")
        with pytest.raises(ValueError):
            auth.create_user(connection, ADMIN[0], "long enough password", "admin")
