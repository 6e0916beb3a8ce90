"""Staff accounts: argon2id password hashes, sign-in with a DB-backed rate limit,
sessions in signed, expiring, HttpOnly SameSite cookies, reviewer/admin roles."""
from __future__ import annotations

import functools
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   session, url_for)
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from bot.console import audit
from bot.db.models import LoginAttempt, StaffUser

ROLES = ("reviewer", "admin")
users = StaffUser.__table__
attempts = LoginAttempt.__table__
hasher = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory profile)
# Verifying against this when the user does not exist keeps timing the same.
_DUMMY_HASH = hasher.hash("not a real password")

bp = Blueprint("auth", __name__)

MIN_PASSWORD = 12


def hash_password(password: str) -> str:
    return hasher.hash(password)


def check_password_strength(password: str) -> Optional[str]:
    if len(password) < MIN_PASSWORD:
        return f"Passwords need at least {MIN_PASSWORD} characters."
    return None


def create_user(connection: Connection, username: str, password: str, role: str) -> int:
    username = username.strip().lower()
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if not username or len(username) > 80 or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise ValueError("username: letters, digits, . - _ only (at most 80)")
    problem = check_password_strength(password)
    if problem:
        raise ValueError(problem)
    if connection.execute(select(users.c.id).where(users.c.username == username)).first():
        raise ValueError(f"user {username!r} already exists")
    result = connection.execute(insert(users).values(
        username=username, password_hash=hash_password(password), role=role, active=True,
        created_at=datetime.now(timezone.utc)))
    return int(result.inserted_primary_key[0])


def _failures_since(connection: Connection, column, value: str, since: datetime) -> int:
    return connection.execute(
        select(func.count()).select_from(attempts).where(
            column == value, attempts.c.succeeded == False,  # noqa: E712
            attempts.c.attempted_at >= since)).scalar() or 0


# Lockouts and the people they are for. Failed sign-ins are limited per account
# and per address, which an attacker could use to lock a nurse out (her username
# is guessable) or the whole clinic behind one address. A browser where the
# account signed in before carries a signed "known device" cookie; its
# attempts are limited on their own (per account and device), so the right
# password from the nurse's own computer still works during someone else's
# attack. A stolen cookie gains nothing without the password, and is limited too.
DEVICE_COOKIE = "console_device"
DEVICE_DAYS = 90


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="console-known-device")


def known_device(username: str) -> Optional[str]:
    """The device id of this browser, if `username` signed in from it before."""
    try:
        data = _devices().loads(request.cookies.get(DEVICE_COOKIE, ""), max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return None
    if isinstance(data, dict) and data.get("u") == username and isinstance(data.get("d"), str):
        return data["d"]
    return None


def remember_device(response, username: str) -> None:
    device = known_device(username) or secrets.token_hex(8)
    response.set_cookie(DEVICE_COOKIE, _devices().dumps({"u": username, "d": device}),
                        max_age=DEVICE_DAYS * 86400, httponly=True, samesite="Strict",
                        secure=current_app.config["SESSION_COOKIE_SECURE"], path="/sign-in")


def rate_limited(connection: Connection, username: str, remote: str) -> bool:
    """`remote` is the address, or "device:<id>" for a known device."""
    settings = current_app.config["CONSOLE"]
    since = datetime.now(timezone.utc) - timedelta(minutes=settings.login_window_minutes)
    if remote.startswith("device:"):
        return (connection.execute(select(func.count()).select_from(attempts).where(
            attempts.c.username == username, attempts.c.remote_addr == remote,
            attempts.c.succeeded == False,  # noqa: E712
            attempts.c.attempted_at >= since)).scalar() or 0) >= settings.max_failed_logins
    return (_failures_since(connection, attempts.c.username, username, since) >= settings.max_failed_logins
            or _failures_since(connection, attempts.c.remote_addr, remote, since)
            >= settings.max_failed_logins_per_address)


def authenticate(username: str, password: str) -> Dict[str, Any]:
    """{'user': row} on success, else {'error': message, 'status': code}."""
    username = (username or "").strip().lower()[:80]
    device = known_device(username)
    remote = f"device:{device}" if device else (request.remote_addr or "unknown")[:64]
    engine = current_app.config["ENGINE"]
    with engine.begin() as connection:
        if rate_limited(connection, username, remote):
            connection.execute(insert(attempts).values(
                username=username, remote_addr=remote, succeeded=False,
                attempted_at=datetime.now(timezone.utc)))
            audit.record(connection, "sign_in_blocked", username, username=username or "anonymous")
            return {"error": "Too many failed sign-ins. Wait 15 minutes and try again.", "status": 429}
        user = connection.execute(select(users).where(users.c.username == username)).mappings().first()
        ok = False
        try:
            ok = hasher.verify(user["password_hash"] if user else _DUMMY_HASH, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        ok = ok and user is not None and bool(user["active"])
        connection.execute(insert(attempts).values(
            username=username, remote_addr=remote, succeeded=ok, attempted_at=datetime.now(timezone.utc)))
        if not ok:
            audit.record(connection, "sign_in_failed", username, username=username or "anonymous")
            return {"error": "Wrong username or password.", "status": 401}
        values: Dict[str, Any] = {"last_login_at": datetime.now(timezone.utc)}
        if hasher.check_needs_rehash(user["password_hash"]):
            values["password_hash"] = hash_password(password)
        connection.execute(update(users).where(users.c.id == user["id"]).values(**values))
        audit.record(connection, "sign_in", username, username=username)
        return {"user": dict(user)}


def load_user() -> None:
    """Before each request: the signed-in, still active user (or None)."""
    g.user = None
    user_id = session.get("uid")
    if not user_id:
        return
    settings = current_app.config["CONSOLE"]
    started = session.get("t", 0)
    now = datetime.now(timezone.utc).timestamp()
    if now - started > settings.session_hours * 3600:  # absolute expiry, server-side
        session.clear()
        return
    with current_app.config["ENGINE"].connect() as connection:
        user = connection.execute(
            select(users.c.id, users.c.username, users.c.role, users.c.active, users.c.session_epoch)
            .where(users.c.id == user_id)).mappings().first()
    if user is None or not user["active"] or session.get("v") != _session_version(user):
        session.clear()
        return
    g.user = dict(user)


def _session_version(user: Dict[str, Any]) -> str:
    # A role change, deactivation or sign-out (a new epoch) ends existing sessions.
    return f"{user['role']}:{int(bool(user['active']))}:{int(user.get('session_epoch') or 0)}"


def login_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        return view(*args, **kwargs)
    return wrapper


def admin_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        if g.get("user") is None:
            return redirect(url_for("auth.login"))
        if g.user["role"] != "admin":
            abort(403)
        return view(*args, **kwargs)
    return wrapper


# Browsers drop tabs and line breaks in a Location, so "/\t/evil.example" would
# become "//evil.example": any control character or space refuses the target.
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x20\x7f\\]")


def _safe_next(target: Optional[str]) -> str:
    """A local path of this console, else the conversation list."""
    if target and target.startswith("/") and not target.startswith("//") and not _UNSAFE_IN_NEXT.search(target):
        return target
    return url_for("console.conversations")


@bp.route("/sign-in", methods=["GET", "POST"])
def login():
    error, status = None, 200
    if request.method == "POST":
        result = authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if "user" in result:
            user = result["user"]
            session.clear()  # no session fixation: a fresh session after sign-in
            session.permanent = True
            session["uid"] = user["id"]
            session["t"] = datetime.now(timezone.utc).timestamp()
            session["v"] = _session_version(user)
            response = redirect(_safe_next(request.form.get("next")))
            remember_device(response, user["username"])
            return response
        error, status = result["error"], result["status"]
    return render_template("login.html", error=error, next=request.values.get("next", "")), status


@bp.route("/sign-out", methods=["POST"])
def logout():
    if g.get("user"):
        with current_app.config["ENGINE"].begin() as connection:
            # every saved cookie of this account stops working, server-side
            connection.execute(update(users).where(users.c.id == g.user["id"])
                               .values(session_epoch=users.c.session_epoch + 1))
            audit.record(connection, "sign_out", g.user["username"])
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))
