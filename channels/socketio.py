"""Rasa's socket.io channel with conversations bound to a server-issued secret.

Rasa's SocketIOInput, with session persistence on, puts a socket into whatever
conversation the browser names by `session_id`: whoever learns an id can join
it and read the replies. Here:

* `session_request` must carry the `token` the widget server issued for that
  `session_id` (bot/widget/tokens.py, HMAC with the shared secret); otherwise
  the socket gets `session_refused` and joins nothing.
* One socket per chat: a second `session_request` with the same token (a
  reload, another window, a copied token) takes the chat over; the earlier
  socket gets `session_replaced` and no more replies.
* `user_uttered` ignores any `session_id` in the message: it uses only the
  session this socket was bound to, so another id sent there reaches nothing.
* Rasa's sender id is derived from the session id with the secret, so the
  conversation cannot be addressed through another channel by the browser's id.
* Origins are an allow-list (never "*"), messages over the limit are refused
  with a `message_refused` event, and each message is acknowledged (socket.io
  ack) once handled; a resent message (same `message_id`) is not handled twice,
  across restarts and servers (a claim in the database, bot/db/deliveries.py).
* A socket needs an allowed Origin (a script without one is refused), and
  messages are rate-limited per chat and per address (bot/rate_limits.py): past
  the limit the ack says `slow_down` with `retry_after`, the widget waits and
  resends, nothing is queued on the conversation's lock and nothing is logged
  but the fact.
* Replies go out only after the turn was stored: Rasa's channel sent them as
  they were made, so a turn that then failed to save had been shown to the
  patient and was missing from the record. A failed turn sends nothing and is
  acknowledged `{"ok": false, "retry": true}`; the widget shows "not sent,
  retrying" and sends it again.
* Each reply carries what the widget needs to present it (`reply_metadata`):
  which response it is, the source passages of a catalogue answer, and the
  slot values its variation was chosen for. Rasa's output sent the text alone,
  so the widget could not tell an emergency reply or show where an answer
  comes from. A catalogue answer also carries `message_ts`, its bot event's
  timestamp: the id a "was this helpful?" tap names it by.
* Nothing lost across a reload or a dropped connection. A turn's replies go to
  the socket that holds the chat when the turn ends, and every part carries its
  place (`reply_ts`, `reply_part`). `session_request` may say which reply the
  widget showed last (`last_reply`); the socket then joins the conversation's
  room, gets the stored replies after that one (channels/missed_replies.py),
  and only then `session_confirm`. Joining and the replay hold the
  conversation's lock that sending a turn's replies takes too, so a reply
  reaches the new socket either in the replay or live, never neither.
  `missed_replies` ({last_reply}) asks again on a bound socket: the widget does
  when a resent message proves handled already (its turn may have run on
  another server, whose room this socket is not in).
* `feedback` ({answer_id, message_ts, helpful}) stores a tap under a catalogue
  answer (bot/db/feedback.py), only from a socket bound to a conversation, only
  for an answer that conversation's tracker shows was given at that time, and
  rate-limited with the chat's messages. The first tap on an answer stands.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import weakref
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.db import deliveries, feedback
from bot.rate_limits import Buckets
from bot.settings import WidgetSettings
from bot.widget import tokens
from channels import missed_replies
from channels.text import clean_text

logger = logging.getLogger(__name__)

REFUSED_EVENT = "message_refused"
SESSION_REFUSED_EVENT = "session_refused"
SESSION_REPLACED_EVENT = "session_replaced"
FEEDBACK_EVENT = "feedback"
MISSED_REPLIES_EVENT = "missed_replies"
RETRY_AFTER_SECONDS = 2
REPLAYS_BURST = 20  # missed-reply replays a chat may ask for at once, and then a minute


class RepliesAfterTheTurn(SocketIOOutput):
    """Rasa's socket.io output, holding the replies until `send_held` is called."""

    def __init__(self, sio: AsyncServer, bot_message_evt: Text) -> None:
        super().__init__(sio, bot_message_evt)
        self.held: List[tuple] = []

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        self.held.append((socket_id, response))

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        """Rasa's sending, with `reply_metadata` on the last part of the reply and
        its place in the conversation (`reply_ts`, `reply_part`) on every part.

        The last part, because Rasa splits a text at blank lines and puts the
        buttons on the last part: what belongs under the answer goes there too.
        The place lets the widget ask for what it missed (channels/missed_replies.py).
        """
        metadata = reply_metadata(message)
        timestamp = feedback.valid_timestamp(message.get("timestamp"))
        before = len(self.held)
        await super().send_response(recipient_id, message)
        parts = len(self.held) - before
        for number in range(parts):
            socket_id, part = self.held[before + number]
            if not isinstance(part, dict):
                continue
            extra = dict(metadata) if number == parts - 1 else {}
            if timestamp is not None:
                extra.update(reply_ts=timestamp, reply_part=number)
            if extra:
                self.held[before + number] = (socket_id, {**part, "metadata": extra})

    async def send_held(self) -> None:
        for socket_id, response in self.held:
            await self.sio.emit(self.bot_message_evt, response, room=socket_id)
        self.held = []


class ReplayedReplies(RepliesAfterTheTurn):
    """Stored replies made into the parts they were sent as, to be sent again.

    Custom JSON (no response of this assistant has any) Rasa's output emits
    straight to the room, not through `_send_message`: it is not replayed.
    """

    def __init__(self, bot_message_evt: Text) -> None:
        super().__init__(None, bot_message_evt)  # type: ignore[arg-type] - it never emits

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any],
                               **kwargs: Any) -> None:
        return None


def reply_metadata(message: Dict[Text, Any]) -> Dict[str, Any]:
    """What of a bot message's metadata the browser is given: a whitelist.

    `utter_action` (the response, e.g. `utter_emergency`), `source` (a catalogue
    answer's passages, from the response's own `metadata`) and `variation` (slot
    name to value of the variation's condition, e.g. `emergency_kind: crisis`).
    Nothing else (model ids, whatever an action adds) leaves the server.
    """
    metadata: Dict[str, Any] = {}
    if isinstance(message.get("utter_action"), str):
        metadata["utter_action"] = message["utter_action"]
    response_metadata = message.get("metadata")
    source = response_metadata.get("source") if isinstance(response_metadata, dict) else None
    if isinstance(source, list) and source and all(isinstance(passage, str) for passage in source):
        metadata["source"] = source
    timestamp = feedback.valid_timestamp(message.get("timestamp"))
    if timestamp is not None and feedback.catalogue_answer_id(metadata.get("utter_action")):
        metadata["message_ts"] = timestamp  # names the answer in a "was this helpful?" tap
    conditions = message.get("condition")
    if isinstance(conditions, list):
        variation = {c["name"]: c["value"] for c in conditions
                     if isinstance(c, dict) and c.get("type") == "slot" and isinstance(c.get("name"), str)
                     and isinstance(c.get("value"), (str, int, float, bool))}
        if variation:
            metadata["variation"] = variation
    return metadata


def delivery_key(conversation: str, message_id: Any) -> Optional[str]:
    if not isinstance(message_id, str) or not message_id or len(message_id) > 64:
        return None
    return hashlib.sha256(f"{conversation}|{message_id}".encode()).hexdigest()[:40]


def _origins(value: Any) -> List[str]:
    if isinstance(value, str):
        value = value.split(",")
    origins = [str(o).strip().rstrip("/") for o in (value or []) if str(o).strip()]
    if not origins:
        raise ValueError("the socket channel needs cors_allowed_origins (WIDGET_ALLOWED_ORIGINS)")
    if "*" in origins:
        raise ValueError("cors_allowed_origins must list origins, not '*'")
    return origins


class SecureSocketIOInput(SocketIOInput):
    """socket.io input whose conversations are bound to a signed session token."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        defaults = WidgetSettings()
        return cls(
            secret=credentials.get("token_secret") or tokens.load_secret(),
            cors_allowed_origins=_origins(credentials.get("cors_allowed_origins")
                                          or defaults.allowed_origins),
            max_message_chars=int(credentials.get("max_message_chars")
                                  or defaults.max_message_chars),
            token_ttl_seconds=int(credentials.get("token_ttl_seconds")
                                  or defaults.token_ttl_seconds),
            max_http_buffer_size=int(credentials.get("max_http_buffer_size") or 64 * 1024),
            limits=defaults,
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            namespace=credentials.get("namespace"),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
        )

    def __init__(self, secret: str, cors_allowed_origins: List[str], max_message_chars: int = 1000,
                 token_ttl_seconds: int = 24 * 3600, max_http_buffer_size: int = 64 * 1024,
                 user_message_evt: Text = "user_uttered", bot_message_evt: Text = "bot_uttered",
                 namespace: Optional[Text] = None, socketio_path: Text = "/socket.io",
                 limits: Optional[WidgetSettings] = None) -> None:
        super().__init__(user_message_evt=user_message_evt, bot_message_evt=bot_message_evt,
                         namespace=namespace, session_persistence=True, socketio_path=socketio_path)
        if len(secret) < tokens.MIN_SECRET_CHARS:
            raise ValueError("the socket channel's token secret is too short")
        self.secret = secret
        self.cors_allowed_origins = _origins(cors_allowed_origins)
        self.max_message_chars = max_message_chars
        self.token_ttl_seconds = token_ttl_seconds
        self.max_http_buffer_size = max_http_buffer_size
        limits = limits or WidgetSettings()
        self.chat_limit = Buckets(limits.messages_burst, limits.messages_per_minute / 60)
        self.address_limit = Buckets(limits.address_messages_per_minute, limits.address_messages_per_minute / 60)
        # replays of missed replies (a database read each): a reload or reconnect costs one
        self.replay_limit = Buckets(REPLAYS_BURST, REPLAYS_BURST / 60)
        # held only while a turn's replies are sent or a socket joins: none left over
        self._replies_locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = weakref.WeakValueDictionary()

    def replies_lock(self, conversation: str) -> asyncio.Lock:
        """The conversation's lock between sending a turn's replies and a socket's replay."""
        lock = self._replies_locks.get(conversation)
        if lock is None:
            lock = self._replies_locks[conversation] = asyncio.Lock()
        return lock

    async def replies_after(self, webhook: Blueprint, conversation: str,
                            cursor: missed_replies.Cursor) -> List[Any]:
        """The conversation's reply parts after `cursor`, as they were sent, oldest first."""
        agent = next(iter(webhook.apps)).ctx.agent
        events = await missed_replies.bot_events_after(agent.tracker_store, conversation, cursor)
        output = ReplayedReplies(self.bot_message_evt)
        for message in missed_replies.as_messages(events):
            await output.send_response(conversation, message)
        return missed_replies.parts_after(output.held, cursor)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self.cors_allowed_origins,
                          max_http_buffer_size=self.max_http_buffer_size)
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        namespace = self.namespace

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            origin = (environ.get("HTTP_ORIGIN") or "").rstrip("/")
            if origin not in self.cors_allowed_origins:  # python-socketio lets a missing Origin in
                logger.info("refused a socket without an allowed Origin")
                return False
            await sio.save_session(sid, {"address": client_address(environ)}, namespace=namespace)
            return True

        @sio.on("disconnect", namespace=namespace)
        async def disconnect(sid: Text, *args: Any) -> None:
            logger.debug("socket %s disconnected", sid)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any) -> Dict[str, Any]:
            data = data if isinstance(data, dict) else {}
            session_id, token = data.get("session_id"), data.get("token")
            socket_session = await sio.get_session(sid, namespace=namespace)
            previous = socket_session.get("conversation")
            if previous:
                await sio.leave_room(sid, previous, namespace=namespace)
                await sio.save_session(sid, {"address": socket_session.get("address", "")}, namespace=namespace)
            if not tokens.verify(self.secret, session_id, token, self.token_ttl_seconds):
                logger.info("socket %s presented no valid token for its session", sid)
                await sio.emit(SESSION_REFUSED_EVENT, {"reason": "invalid_token"}, room=sid,
                               namespace=namespace)
                return {"ok": False, "error": "invalid_token"}
            conversation = tokens.conversation_id(self.secret, session_id)
            # only the conversation the token proves: its replies after the one the widget showed
            asked = missed_replies.asked_from(data)
            if asked is not missed_replies.NOT_ASKED and asked is not None:
                wait = self.replay_limit.retry_after(conversation)
                if wait:
                    return {"ok": False, "error": "slow_down", "retry": True, "retry_after": wait}
            address = (await sio.get_session(sid, namespace=namespace)).get("address", "")
            async with self.replies_lock(conversation):
                await sio.save_session(sid, {"conversation": conversation, "session_id": session_id,
                                             "address": address}, namespace=namespace)
                # one socket per chat: the newest (a reload, another window) takes it over,
                # so a copied token does not give a second reader of the replies
                participants = list(sio.manager.get_participants(namespace or "/", conversation))
                for other in (p[0] if isinstance(p, tuple) else p for p in participants):
                    if other != sid:
                        other_session = await sio.get_session(other, namespace=namespace)
                        await sio.leave_room(other, conversation, namespace=namespace)
                        await sio.save_session(other, {"address": other_session.get("address", "")},
                                               namespace=namespace)
                        await sio.emit(SESSION_REPLACED_EVENT, {"reason": "opened_elsewhere"}, room=other,
                                       namespace=namespace)
                # In the room first, then read: a turn stored before the read is in the
                # replay, one stored after it is sent to the room, which holds this socket
                # (its sending waits for this lock). The widget skips what it has twice.
                await sio.enter_room(sid, conversation, namespace=namespace)
                missed: List[Any] = []
                if isinstance(asked, missed_replies.Cursor):
                    try:
                        missed = await self.replies_after(socketio_webhook, conversation, asked)
                    except Exception as error:  # noqa: BLE001 - not bound: the widget asks again
                        logger.error("missed replies not read: %s", type(error).__name__)
                        await sio.leave_room(sid, conversation, namespace=namespace)
                        await sio.save_session(sid, {"address": address}, namespace=namespace)
                        return {"ok": False, "error": "not_read", "retry": True,
                                "retry_after": RETRY_AFTER_SECONDS}
                for reply in missed:
                    await sio.emit(self.bot_message_evt, reply, room=sid, namespace=namespace)
                await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)
            return {"ok": True, "session_id": session_id, "replayed": len(missed)}

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any) -> Dict[str, Any]:
            data = data if isinstance(data, dict) else {}
            message_id = data.get("message_id")
            socket_session = await sio.get_session(sid, namespace=namespace)
            conversation = socket_session.get("conversation")

            async def refuse(reason: str, **extra: Any) -> Dict[str, Any]:
                await sio.emit(REFUSED_EVENT, {"reason": reason, "message_id": message_id, **extra},
                               room=sid, namespace=namespace)
                return {"ok": False, "error": reason, "message_id": message_id, **extra}

            if not conversation:
                return await refuse("no_session")
            wait = max(self.chat_limit.retry_after(conversation),
                       self.address_limit.retry_after(socket_session.get("address", "")))
            if wait:
                return {"ok": False, "error": "slow_down", "retry": True, "retry_after": wait,
                        "message_id": message_id}
            text = data.get("message")
            if isinstance(text, str) and len(text) > self.max_message_chars:
                return await refuse("too_long", limit=self.max_message_chars)
            text = clean_text(text) if isinstance(text, str) else ""
            if not text:
                return await refuse("empty")
            key = delivery_key(conversation, message_id)
            state = deliveries.claim("widget", key) if key else deliveries.Claim.NEW
            if state is deliveries.Claim.DONE:
                return {"ok": True, "message_id": message_id, "duplicate": True}
            if state is deliveries.Claim.BUSY:
                return {"ok": False, "error": "busy", "retry": True,
                        "retry_after": RETRY_AFTER_SECONDS, "message_id": message_id}
            output = RepliesAfterTheTurn(sio, self.bot_message_evt)
            try:
                # Client metadata is not passed on: nothing the browser claims reaches the tracker.
                await on_new_message(UserMessage(text, output, conversation, input_channel=self.name()))
            except Exception as error:  # noqa: BLE001 - any failed turn: not stored, nothing shown
                if key:
                    deliveries.settle("widget", key, handled=False)
                logger.error("socket.io message not processed: %s", type(error).__name__)
                return {"ok": False, "error": "not_stored", "retry": True,
                        "retry_after": RETRY_AFTER_SECONDS, "message_id": message_id}
            if key:
                deliveries.settle("widget", key, handled=True)
            # to the socket holding the chat now (after a reload, the new one), never
            # between a new socket's replay and its joining the room
            async with self.replies_lock(conversation):
                await output.send_held()
            return {"ok": True, "message_id": message_id}

        @sio.on(MISSED_REPLIES_EVENT, namespace=namespace)
        async def handle_missed_replies(sid: Text, data: Any) -> Dict[str, Any]:
            """The bound conversation's replies after `last_reply`, asked again later.

            The widget asks when a message it resent proves handled already (a
            `duplicate` ack): the turn ran while this socket was not the chat's,
            maybe on another server, whose room this socket is not in.
            """
            data = data if isinstance(data, dict) else {}
            conversation = (await sio.get_session(sid, namespace=namespace)).get("conversation")
            if not conversation:
                return {"ok": False, "error": "no_session"}
            asked = missed_replies.asked_from(data)
            if not isinstance(asked, missed_replies.Cursor):
                return {"ok": False, "error": "invalid"}
            wait = self.replay_limit.retry_after(conversation)
            if wait:
                return {"ok": False, "error": "slow_down", "retry": True, "retry_after": wait}
            async with self.replies_lock(conversation):
                try:
                    missed = await self.replies_after(socketio_webhook, conversation, asked)
                except Exception as error:  # noqa: BLE001 - the widget may ask again
                    logger.error("missed replies not read: %s", type(error).__name__)
                    return {"ok": False, "error": "not_read", "retry": True,
                            "retry_after": RETRY_AFTER_SECONDS}
                # still this socket's chat (another window may have taken it meanwhile)
                if (await sio.get_session(sid, namespace=namespace)).get("conversation") != conversation:
                    return {"ok": False, "error": "no_session"}
                for reply in missed:
                    await sio.emit(self.bot_message_evt, reply, room=sid, namespace=namespace)
            return {"ok": True, "replayed": len(missed)}

        @sio.on(FEEDBACK_EVENT, namespace=namespace)
        async def handle_feedback(sid: Text, data: Any) -> Dict[str, Any]:
            """A "was this helpful?" tap: stored once, for an answer this conversation was given."""
            data = data if isinstance(data, dict) else {}
            socket_session = await sio.get_session(sid, namespace=namespace)
            conversation = socket_session.get("conversation")
            if not conversation:
                return {"ok": False, "error": "no_session"}
            wait = max(self.chat_limit.retry_after(conversation),
                       self.address_limit.retry_after(socket_session.get("address", "")))
            if wait:
                return {"ok": False, "error": "slow_down", "retry": True, "retry_after": wait}
            answer_id, helpful = data.get("answer_id"), data.get("helpful")
            message_ts = feedback.valid_timestamp(data.get("message_ts"))
            if (not isinstance(answer_id, str) or len(answer_id) > 255
                    or feedback.catalogue_answer_id(feedback.ANSWER_PREFIX + answer_id) != answer_id
                    or not isinstance(helpful, bool) or message_ts is None):
                return {"ok": False, "error": "invalid"}
            try:
                agent = next(iter(socketio_webhook.apps)).ctx.agent
                tracker = await agent.tracker_store.retrieve_full_tracker(conversation)
                events = [event.as_dict() for event in tracker.events] if tracker else []
                given_at = feedback.answer_given(events, message_ts, answer_id)
                if given_at is None:
                    return {"ok": False, "error": "unknown_answer"}
                stored = feedback.record(conversation, answer_id, helpful, given_at, channel=self.name())
            except Exception as error:  # noqa: BLE001 - a store that failed: the widget may try again
                logger.error("feedback not stored: %s", type(error).__name__)
                return {"ok": False, "error": "not_stored", "retry": True, "retry_after": RETRY_AFTER_SECONDS}
            return {"ok": True, "duplicate": not stored}

        return socketio_webhook


def client_address(environ: Dict) -> str:
    """The browser's address: behind our nginx (loopback), the last X-Forwarded-For hop."""
    address = environ.get("REMOTE_ADDR", "")
    forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and address in ("127.0.0.1", "::1"):
        return forwarded.split(",")[-1].strip()
    return address


def from_environment() -> Dict[str, Any]:
    """The non-secret part of this channel's credentials, for channels/credentials.py."""
    settings = WidgetSettings()
    config: Dict[str, Any] = {"cors_allowed_origins": settings.allowed_origins,
                              "max_message_chars": settings.max_message_chars,
                              "token_ttl_seconds": settings.token_ttl_seconds}
    if os.environ.get("WIDGET_SECRET"):
        config["token_secret"] = "${WIDGET_SECRET}"
    return config
