"""The request rate limits: one token bucket per company, a share of it reserved for the
company's identity provider, a bucket of its own per REST API credential, and a small
bucket per client address for requests without a valid credential.

The rules:

- The company's bucket (its rate and burst: support staff's override in Django admin, else
  ``SCIM_RATE_LIMIT_PER_SECOND``/``_BURST``) bounds everything the company sends, so one
  company's runaway client can't starve the others.
- SCIM credentials (SCIM tokens, and OAuth access tokens used on ``/scim/v2``) draw from
  the company's bucket alone, down to empty (``take_request``).
- A REST API credential (an API key or an OAuth token used on ``/api``) draws one token
  from its own bucket (``API_CREDENTIAL_SHARE`` of the company's rate and burst, at most
  ``1 - SCIM_RESERVED_SHARE``, at least a burst of 1) *and* one from the company's, but
  only while the company's keeps more than ``SCIM_RESERVED_SHARE`` of its burst
  (``take_api_request``). So API credentials together can't go below the reserve, which
  only SCIM refills into (provisioning and deprovisioning keep answering while an
  integration floods), and one credential can't take more than its own share, leaving
  the rest of the API allowance to the company's other integrations.
- A request with no or a bad credential draws from its client address's bucket
  (``ANONYMOUS_RATE_LIMIT_PER_SECOND``/``_BURST``; ``take_anonymous_request``).

A request is allowed only when every bucket it draws from has a token above its floor;
then one is taken from each, atomically.

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

# KEYS: the buckets. ARGV: rate per second, burst and floor of each bucket in turn.
# Returns {allowed (0/1), seconds to wait}.
_BUCKET_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local tokens = {}
local allowed = 1
local wait = 0
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[i * 3 - 2])
  local burst = tonumber(ARGV[i * 3 - 1])
  local floor = tonumber(ARGV[i * 3])
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local t = tonumber(state[1]) or burst
  local at = tonumber(state[2]) or now
  t = math.min(burst, t + math.max(0, now - at) * rate)
  tokens[i] = t
  if t - floor < 1 then
    allowed = 0
    wait = math.max(wait, (1 + floor - t) / rate)
  end
end
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[i * 3 - 2])
  local burst = tonumber(ARGV[i * 3 - 1])
  local t = tokens[i]
  if allowed == 1 then
    t = t - 1
  end
  redis.call('HSET', key, 'tokens', tostring(t), 'at', tostring(now))
  redis.call('PEXPIRE', key, math.ceil(burst / rate * 1000) + 1000)
end
return {allowed, tostring(wait)}
"""


@dataclass(frozen=True)
class Limit:
    per_second: float
    burst: int


@dataclass(frozen=True)
class Bucket:
    key: str
    per_second: float
    burst: float
    floor: float = 0.0  # tokens the draw must leave in the bucket


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


def api_limit_for(company: Company) -> Limit:
    """What one REST API credential of the company may send: its share of the company's."""
    limit = limit_for(company)
    share = _api_share()
    return Limit(per_second=limit.per_second * share, burst=max(1, math.floor(limit.burst * share)))


def take_request(company: Company) -> Decision:
    """Take one SCIM request from the company's bucket; refused when it is empty."""
    limit = limit_for(company)
    if limit.per_second <= 0:
        return Decision(allowed=True)
    return _take([_company_bucket(company, limit)], refused_company=company)


def take_api_request(company: Company, *, credential: str) -> Decision:
    """Take one REST API request of ``credential`` (a stable id of the key or token) from
    its own bucket and from the company's above the SCIM reserve."""
    limit = limit_for(company)
    if limit.per_second <= 0:
        return Decision(allowed=True)
    own = api_limit_for(company)
    reserve = limit.burst * _reserved_share()
    buckets = [
        Bucket(f"{settings.RATE_LIMIT_KEY_PREFIX}:{company.pk}:{credential}", own.per_second, own.burst),
        _company_bucket(company, limit, floor=reserve),
    ]
    return _take(buckets, refused_company=company)


def take_anonymous_request(address: str | None) -> Decision:
    """Take one request without a valid credential from the client address's bucket."""
    rate, burst = settings.ANONYMOUS_RATE_LIMIT_PER_SECOND, settings.ANONYMOUS_RATE_LIMIT_BURST
    if rate <= 0:
        return Decision(allowed=True)
    return _take([Bucket(f"{settings.RATE_LIMIT_KEY_PREFIX}-anonymous:{address or '-'}", rate, burst)])


def _company_bucket(company: Company, limit: Limit, *, floor: float = 0.0) -> Bucket:
    return Bucket(f"{settings.RATE_LIMIT_KEY_PREFIX}:{company.pk}", limit.per_second, limit.burst, floor)


def _reserved_share() -> float:
    return min(1.0, max(0.0, float(settings.SCIM_RESERVED_SHARE)))


def _api_share() -> float:
    return min(1.0 - _reserved_share(), max(0.0, float(settings.API_CREDENTIAL_SHARE)))


def _take(buckets: list[Bucket], *, refused_company: Company | None = None) -> Decision:
    client = _redis()
    if client is None:
        allowed, wait = _memory.take(buckets)
    else:
        try:
            allowed, wait = _take_from_redis(client, buckets)
        except Exception as exc:
            _log_outage(exc)
            return Decision(allowed=True)
    if allowed:
        return Decision(allowed=True)
    if refused_company is not None:
        _count_refusal(client, refused_company.pk)
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


def _take_from_redis(client, buckets: list[Bucket]) -> tuple[bool, float]:
    args = [value for b in buckets for value in (b.per_second, b.burst, b.floor)]
    allowed, wait = client.eval(_BUCKET_SCRIPT, len(buckets), *(b.key for b in buckets), *args)
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
        self.buckets: dict[str, tuple[float, float]] = {}
        self.refusals: dict[str, int] = {}

    def take(self, buckets: list[Bucket]) -> tuple[bool, float]:
        now = time.monotonic()
        with self.lock:
            levels = []
            for bucket in buckets:
                tokens, at = self.buckets.get(bucket.key, (float(bucket.burst), now))
                levels.append(min(float(bucket.burst), tokens + max(0.0, now - at) * bucket.per_second))
            waits = [
                (1 + b.floor - tokens) / b.per_second
                for b, tokens in zip(buckets, levels, strict=True)
                if tokens - b.floor < 1
            ]
            taken = 0 if waits else 1
            for bucket, tokens in zip(buckets, levels, strict=True):
                self.buckets[bucket.key] = (tokens - taken, now)
            return not waits, max(waits, default=0.0)

    def refuse(self, key: str) -> None:
        with self.lock:
            self.refusals[key] = self.refusals.get(key, 0) + 1

    def reset(self) -> None:
        with self.lock:
            self.buckets.clear()
            self.refusals.clear()


_memory = _MemoryBuckets()
