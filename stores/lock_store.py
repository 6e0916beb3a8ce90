"""A Redis lock store whose tickets are issued and returned atomically.

Rasa serialises the turns of one conversation with a ticket lock. Its
`RedisLockStore` reads the lock, changes it in Python and writes it back: two
servers issuing at the same instant both read "last ticket 3" and both take
ticket 4, so two turns of one conversation run at once and one overwrites the
other's events (measured on this project: 100 messages acknowledged, 84
stored). Rasa Pro's concurrent lock store fixes it; here each change is one
Lua script, which Redis runs atomically:

- a ticket number comes from `INCR` on a counter, never reused, so a server
  whose ticket expired cannot later remove somebody else's ticket;
- issuing, dropping expired tickets and returning a ticket are each one script;
- a ticket lives as long as the longest turn can (`TICKET_LOCK_LIFETIME`, by
  default past Rasa's 300-second action-server timeout), and the keys expire
  with the last ticket, so a crashed server's lock goes away by itself;
- a waiting turn looks again every 50 ms rather than every second.
The lock is stored in Rasa's own JSON format, so `get_lock` is unchanged.
"""
from __future__ import annotations

import os
import time
from contextlib import asynccontextmanager
from typing import AsyncGenerator, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

# Rasa calls the action server with a 300 s timeout (rasa.core.constants.DEFAULT_REQUEST_TIMEOUT)
DEFAULT_LIFETIME_SECONDS = 330.0
WAIT_BETWEEN_TRIES_SECONDS = 0.05

# Keeps the tickets that have not expired, as Rasa serialises them (a JSON
# list of JSON strings), and sets the keys to expire with the last of them.
_COMMON = """
local function live_tickets(raw, now)
  local kept = {}
  if raw then
    for _, encoded in ipairs(cjson.decode(raw)['tickets']) do
      local ticket = cjson.decode(encoded)
      if ticket['expires'] >= now then table.insert(kept, ticket) end
    end
  end
  return kept
end
local function store(key, counter, conversation_id, tickets, now)
  if #tickets == 0 then
    redis.call('DEL', key)
    return
  end
  local encoded, last = {}, now
  for i, ticket in ipairs(tickets) do
    encoded[i] = cjson.encode(ticket)
    if ticket['expires'] > last then last = ticket['expires'] end
  end
  local ttl = math.ceil((last - now) * 1000) + 1000
  redis.call('SET', key, cjson.encode({conversation_id = conversation_id, tickets = encoded}), 'PX', ttl)
  redis.call('PEXPIRE', counter, ttl + 60000)
end
"""

_ISSUE = _COMMON + """
local now, lifetime = tonumber(ARGV[1]), tonumber(ARGV[2])
local tickets = live_tickets(redis.call('GET', KEYS[1]), now)
local number = redis.call('INCR', KEYS[2])
table.insert(tickets, {number = number, expires = now + lifetime})
store(KEYS[1], KEYS[2], ARGV[3], tickets, now)
return number
"""

_RETURN = _COMMON + """
local now, number = tonumber(ARGV[1]), tonumber(ARGV[2])
local kept = {}
for _, ticket in ipairs(live_tickets(redis.call('GET', KEYS[1]), now)) do
  if ticket['number'] ~= number then table.insert(kept, ticket) end
end
store(KEYS[1], KEYS[2], ARGV[3], kept, now)
return #kept
"""

_DROP_EXPIRED = _COMMON + """
local now = tonumber(ARGV[1])
store(KEYS[1], KEYS[2], ARGV[3], live_tickets(redis.call('GET', KEYS[1]), now), now)
return 0
"""


def configured_lifetime() -> float:
    return float(os.environ.get("TICKET_LOCK_LIFETIME") or DEFAULT_LIFETIME_SECONDS)


class AtomicRedisLockStore(RedisLockStore):
    """`RedisLockStore` with atomic tickets (see the module docstring)."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs) -> None:
        # Rasa builds a lock store named by module path from its endpoint config
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url, **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        self._issue = self.red.register_script(_ISSUE)
        self._return = self.red.register_script(_RETURN)
        self._drop_expired = self.red.register_script(_DROP_EXPIRED)

    def _keys(self, conversation_id: Text) -> list:
        key = self.key_prefix + conversation_id
        return [key, key + ":counter"]

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = 0) -> int:
        lifetime = max(lock_lifetime or 0, configured_lifetime())
        return int(self._issue(keys=self._keys(conversation_id),
                               args=[time.time(), lifetime, conversation_id]))

    def update_lock(self, conversation_id: Text) -> None:
        self._drop_expired(keys=self._keys(conversation_id), args=[time.time(), 0, conversation_id])

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._return(keys=self._keys(conversation_id), args=[time.time(), ticket_number, conversation_id])

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        # returning the ticket deletes the lock when it was the last one, in the same step
        self.finish_serving(conversation_id, ticket_number)

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = 0,
                   wait_time_in_seconds: float = WAIT_BETWEEN_TRIES_SECONDS
                   ) -> AsyncGenerator[TicketLock, None]:
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._acquire_lock(conversation_id, ticket, WAIT_BETWEEN_TRIES_SECONDS)
        finally:
            self.cleanup(conversation_id, ticket)
