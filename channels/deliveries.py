"""Platform webhooks: each delivery answered once, a failed turn a non-2xx.

Rasa's Telegram and Twilio connectors answer success when a turn fails, and
its Slack connector acknowledges before the turn runs, so none of the three
platforms resends a message that was never stored; and a resent delivery is
processed and answered again. `guard_deliveries` adds, to a connector's
blueprint, a claim on the platform's delivery id before the turn
(bot/db/deliveries.py) and its settlement after: a 2xx marks it done, anything
else releases it. `reraise_as_retryable` makes a failed turn a 503, logged with
its class only (never the message).
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, response
from sanic.exceptions import SanicException
from sanic.request import Request

from bot.db import deliveries

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class TurnNotProcessed(SanicException):
    status_code = 503
    quiet = True
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}


def reraise_as_retryable(on_new_message: Callable[[UserMessage], Awaitable[Any]]
                         ) -> Callable[[UserMessage], Awaitable[Any]]:
    async def handle(message: UserMessage) -> Any:
        try:
            return await on_new_message(message)
        except Exception as error:  # noqa: BLE001 - any failed turn
            logger.error("%s message not processed: %s", message.input_channel, type(error).__name__)
            raise TurnNotProcessed("the message could not be processed; it will be resent") from None

    return handle


def guard_deliveries(blueprint: Blueprint, platform: str,
                     delivery_id: Callable[[Request], Optional[str]]) -> None:
    """Registers the claim (after any request middleware already there) and the settlement."""

    @blueprint.middleware("request")
    async def claim_delivery(request: Request):
        if request.method != "POST" or not request.path.endswith("/webhook"):
            return None
        identifier = delivery_id(request)
        if not identifier:
            return None
        state = deliveries.claim(platform, identifier[:128])
        if state is deliveries.Claim.DONE:
            logger.info("%s redelivery of a handled message acknowledged, not processed again", platform)
            return response.text("", status=200)
        if state is deliveries.Claim.BUSY:
            return response.text("still being handled", status=503,
                                 headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        request.ctx.delivery_id = identifier[:128]
        return None

    @blueprint.middleware("response")
    async def settle_delivery(request: Request, resp: Any):
        identifier = getattr(request.ctx, "delivery_id", None)
        if identifier:
            deliveries.settle(platform, identifier, handled=200 <= resp.status < 300)
            request.ctx.delivery_id = None
        return None
