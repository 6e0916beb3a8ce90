"""Configuration from the environment, tokens and numbered options: no server needed."""
from __future__ import annotations

import os
import stat

import pytest
from rasa.shared.core.events import BotUttered, UserUttered

from bot.widget import tokens
from channels.credentials import IncompleteChannel, build, write
from channels.twilio import numbered_options, payload_for_number

SECRET = "s" * 40


def test_embedded_default_has_rest_and_the_web_channel_only():
    text, names = build({})
    assert names == ["rest", "socketio"]
    assert "channels.rest.GuardedRestInput:\n" in text and "channels.socketio.SecureSocketIOInput:" in text
    assert '"*"' not in text and "token_secret" not in text


def test_platform_channels_appear_only_when_configured_and_hold_no_secret(tmp_path):
    env = {"TELEGRAM_ACCESS_TOKEN": "123:secret-token", "TELEGRAM_BOT_USERNAME": "bot",
           "TELEGRAM_WEBHOOK_URL": "https://x/webhooks/telegram/webhook",
           "TELEGRAM_SECRET_TOKEN": "t" * 20, "SLACK_TOKEN": "xoxb-secret",
           "SLACK_SIGNING_SECRET": "signing-secret", "WIDGET_SECRET": "w" * 40}
    out = tmp_path / "credentials.yml"
    names = write(out, env)
    assert names == ["rest", "socketio", "channels.telegram.SecureTelegramInput",
                     "channels.slack.SecureSlackInput"]
    text = out.read_text()
    for value in env.values():
        assert value not in text  # only ${VAR} references
    assert "access_token: ${TELEGRAM_ACCESS_TOKEN}" in text
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_rasa_fills_the_references_from_the_environment(tmp_path, monkeypatch):
    from rasa.shared.utils.io import read_config_file
    env = {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "tok", "TWILIO_NUMBER": "+15005550006"}
    out = tmp_path / "credentials.yml"
    write(out, env)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = read_config_file(str(out))
    assert config["channels.twilio.SecureTwilioInput"] == {
        "account_sid": "AC1", "auth_token": "tok", "twilio_number": "+15005550006"}


def test_a_half_configured_channel_is_an_error_not_an_unverified_channel():
    with pytest.raises(IncompleteChannel, match="TELEGRAM_SECRET_TOKEN"):
        build({"TELEGRAM_ACCESS_TOKEN": "1:a", "TELEGRAM_BOT_USERNAME": "b",
               "TELEGRAM_WEBHOOK_URL": "https://x"})


def test_allowed_origins_are_never_a_wildcard():
    with pytest.raises(ValueError):
        build({"WIDGET_ALLOWED_ORIGINS": "*"})


def test_tokens_bind_one_session_id():
    session_id, token = tokens.issue(SECRET)
    assert tokens.verify(SECRET, session_id, token, max_age=60)
    other_id, other_token = tokens.issue(SECRET)
    assert not tokens.verify(SECRET, other_id, token, max_age=60)  # another's id, my token
    assert not tokens.verify(SECRET, session_id, other_token, max_age=60)
    assert not tokens.verify("x" * 40, session_id, token, max_age=60)  # another secret
    assert not tokens.verify(SECRET, session_id, token[:-2] + "AA", max_age=60)  # tampered
    assert not tokens.verify(SECRET, session_id, None, max_age=60)
    old_id, old = tokens.issue(SECRET, now=1_000)
    assert not tokens.verify(SECRET, old_id, old, max_age=60)  # expired
    assert tokens.conversation_id(SECRET, session_id) != session_id


def test_the_default_secret_is_generated_once_and_private(tmp_path):
    path = tmp_path / "widget_secret"
    first = tokens.load_secret(env={}, secret_file=path)
    assert tokens.load_secret(env={}, secret_file=path) == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert tokens.load_secret(env={"WIDGET_SECRET": SECRET}, secret_file=path) == SECRET
    with pytest.raises(tokens.SecretError):
        tokens.load_secret(env={"WIDGET_SECRET": "short"}, secret_file=path)


def test_buttons_become_numbered_options_and_numbers_map_back():
    buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    assert numbered_options("Shall we start?", buttons) == \
        "Shall we start?\n\nReply 1 for Yes, 2 for No."
    # The buttons come from the conversation's tracker: the last list sent since
    # the person's previous message, even with a plain reply after it.
    events = [UserUttered("could this help me?"), BotUttered("Shall we start?", {"buttons": buttons}),
              BotUttered("This is general information, not medical advice.")]
    assert payload_for_number(events, " 2 ") == "/deny"
    assert payload_for_number(events, "1.") == "/affirm"
    assert payload_for_number(events, "3") is None
    assert payload_for_number(events, "yes") is None
    assert payload_for_number(events + [UserUttered("hello"), BotUttered("Hi!")], "1") is None
    assert payload_for_number([], "1") is None
