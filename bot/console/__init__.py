"""Staff review console: a Flask app over Rasa's tracker store and the project's tables.

    python -m bot.console                      # serve on CONSOLE_HOST:CONSOLE_PORT
    python -m bot.console.users create --username U --role reviewer|admin
    python -m bot.console.retention --older-than-days N
    python -m bot.console.benchmark
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Optional

from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.routing import IntegerConverter

from bot.console.secret import load_secret_key
from bot.db.session import get_engine
from bot.settings import ConsoleSettings, get_console_settings, get_settings

csrf = CSRFProtect()

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


class RowIdConverter(IntegerConverter):
    """A database row id: a positive 32-bit integer. A larger number in a URL is
    a 404, not an overflow (a 500) in SQLite or PostgreSQL."""

    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


def create_app(database_url: Optional[str] = None, settings: Optional[ConsoleSettings] = None,
               **config: Any) -> Flask:
    settings = settings or get_console_settings()
    app = Flask(__name__)
    database_url = database_url or get_settings().database_url
    app.config.update(
        SECRET_KEY=load_secret_key(settings),
        SESSION_COOKIE_NAME="console_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        SESSION_REFRESH_EACH_REQUEST=False,
        WTF_CSRF_TIME_LIMIT=int(settings.session_hours * 3600),
        MAX_CONTENT_LENGTH=256 * 1024,
        CONSOLE=settings,
        DATABASE_URL=database_url,
        ENGINE=get_engine(database_url),
    )
    app.config.update(config)
    csrf.init_app(app)

    from bot.console import auth, checkins, feedback, gaps, views

    # Before the blueprints: their routes use it for every row id.
    app.url_map.converters["row_id"] = RowIdConverter
    app.register_blueprint(auth.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(gaps.bp)
    app.register_blueprint(checkins.bp)
    app.before_request(auth.load_user)

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error):  # type: ignore[no-untyped-def]
        return render_template("error.html", title="Form expired",
                               message="The form was missing its security token or it expired. "
                                       "Go back, reload the page and try again."), 400

    @app.errorhandler(403)
    def forbidden(_error):  # type: ignore[no-untyped-def]
        return render_template("error.html", title="Not allowed",
                               message="Your role does not allow this action."), 403

    @app.errorhandler(404)
    def not_found(_error):  # type: ignore[no-untyped-def]
        return render_template("error.html", title="Not found",
                               message="There is nothing at this address."), 404

    @app.template_filter("when")
    def when(value: Any) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, (int, float)):
            value = datetime.fromtimestamp(value, tz=timezone.utc)
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
            return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        return str(value)

    from bot.console.privacy import mask, mask_phone

    app.jinja_env.filters["mask"] = mask
    app.jinja_env.filters["mask_phone"] = mask_phone

    @app.context_processor
    def inject() -> Dict[str, Any]:
        return {"current_user": g.get("user")}

    return app
