"""The per-company request rate limit: one token bucket per company, shared by all its
tokens and keys (SCIM and the REST API), so one company's runaway client can't starve
the others.

The bucket lives in Redis when ``REDIS_URL`` is set, updated by one Lua script so that
every web process draws from the same bucket atomically, with Redis's own clock; with no
Redis (the embedded default) each process keeps its buckets in memory. The limiter fails
open: when Redis can't be reached within ``REDIS_TIMEOUT`` the request goes through and
the failure is logged at most once a minute, because refusing provisioning for the
limiter's own outage would be worse than not limiting for a while.

Refused requests are counted per company and hour, for the SCIM page in Company
Settings (no database write per refusal: a flood must not become a database flood).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from travelportal.companies.models import Company

logger = logging.getLogger(__name__)

REDIS_TIMEOUT = 0.1
REFUSALS_KEPT = timedelta(hours=25)
_LOG_EVERY = 60.0

# KEYS[1]: the bucket. ARGV: rate per second, burst. Returns {allowed (0/1), seconds to wait}.
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(wait)}
"""


@dataclass(frozen=True)
class Limit:
    per_second: int
    burst: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds, at least 1 when refused


def limit_for(company: Company) -> Limit:
    """The company's limit: its own, when support staff raised it, else the default."""
    return Limit(
        per_second=company.rate_limit_per_second or settings.SCIM_RATE_LIMIT_PER_SECOND,
        burst=company.rate_limit_burst or settings.SCIM_RATE_LIMIT_BURST,
    )


def take_request(company: Company) -> Decision:
    """Take one request from the company's bucket; refused when it is empty."""
    limit = limit_for(company)
    if limit.per_second <= 0:
        return Decision(allowed=True)
    client = _redis()
    if client is None:
        allowed, wait = _memory.take(company.pk, limit)
    else:
        try:
            allowed, wait = _take_from_redis(client, company.pk, limit)
        except Exception as exc:
            _log_outage(exc)
            return Decision(allowed=True)
    if allowed:
        return Decision(allowed=True)
    _count_refusal(client, company.pk)
    return Decision(allowed=False, retry_after=max(1, math.ceil(wait)))


def refusals_in_last_day(company: Company) -> int:
    """How many requests of the company the limit refused in the last 24 hours."""
    hours = _hour_keys(company.pk, count=24)
    client = _redis()
    if client is None:
        return sum(_memory.refusals.get(key, 0) for key in hours)
    try:
        return sum(int(v or 0) for v in client.mget(hours))
    except Exception as exc:
        _log_outage(exc)
        return 0


def _take_from_redis(client, company_id: int, limit: Limit) -> tuple[bool, float]:
    key = f"{settings.RATE_LIMIT_KEY_PREFIX}:{company_id}"
    allowed, wait = client.eval(_BUCKET_SCRIPT, 1, key, limit.per_second, limit.burst)
    return bool(int(allowed)), float(wait)


def _count_refusal(client, company_id: int) -> None:
    key = _hour_keys(company_id, count=1)[0]
    if client is None:
        _memory.refuse(key)
        return
    try:
        pipe = client.pipeline()
        pipe.incr(key)
        pipe.expire(key, int(REFUSALS_KEPT.total_seconds()))
        pipe.execute()
    except Exception as exc:
        _log_outage(exc)


def _hour_keys(company_id: int, *, count: int) -> list[str]:
    now = timezone.now()
    prefix = f"{settings.RATE_LIMIT_KEY_PREFIX}-refused:{company_id}"
    return [f"{prefix}:{(now - timedelta(hours=h)):%Y%m%d%H}" for h in range(count)]


_clients: dict[str, object] = {}
_last_outage_log = 0.0


def _redis():
    url = settings.REDIS_URL
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
        _clients[url] = client
    return client


def _log_outage(exc: Exception) -> None:
    global _last_outage_log
    now = time.monotonic()
    if now - _last_outage_log >= _LOG_EVERY:
        _last_outage_log = now
        logger.warning("Rate limit store unreachable, requests are not limited meanwhile: %s", exc)


class _MemoryBuckets:
    """The buckets of this process (no Redis): the same arithmetic as the Lua script."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.buckets: dict[int, tuple[float, float]] = {}
        self.refusals: dict[str, int] = {}

    def take(self, company_id: int, limit: Limit) -> tuple[bool, float]:
        now = time.monotonic()
        with self.lock:
            tokens, at = self.buckets.get(company_id, (float(limit.burst), now))
            tokens = min(float(limit.burst), tokens + max(0.0, now - at) * limit.per_second)
            if tokens >= 1:
                self.buckets[company_id] = (tokens - 1, now)
                return True, 0.0
            self.buckets[company_id] = (tokens, now)
            return False, (1 - tokens) / limit.per_second

    def refuse(self, key: str) -> None:
        with self.lock:
            self.refusals[key] = self.refusals.get(key, 0) + 1

    def reset(self) -> None:
        with self.lock:
            self.buckets.clear()
            self.refusals.clear()


_memory = _MemoryBuckets()
