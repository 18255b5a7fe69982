"""Several machines, one crawl: the request queue and the seen-request filter in Redis.

With the setting ``REDIS_URL`` (environment variable of the same name, or ``-s REDIS_URL=...``) any
number of ``scrapy crawl detikinet`` processes with the same arguments share one crawl: every
request goes through one queue and one seen-filter in Redis, so each page is fetched once by one of
them, and all of them store into the same database. Without REDIS_URL nothing here is used: the
add-on below leaves Scrapy's own scheduler and dupefilter in place.

Built on scrapy-redis (its scheduler, priority queue and dupefilter), with these changes:

* keys per crawl, not per spider: ``<prefix>:<spider>:<plan>`` where the plan is the date range
  (or URL list) and a digest of everything that makes two runs different crawls (RSS or not,
  refresh, replay), so a backfill, today's run and tomorrow's run never share a queue or a filter;
* a worker registry and an end-of-crawl protocol (Lua scripts, atomic in Redis): a worker whose
  queue is empty waits while another worker is busy (and may still find links), so nobody stops
  early and nobody flushes the queue or the filter under the others; the last worker to leave
  deletes the crawl's keys, so a later run of the same plan reads the index pages again; every key
  also expires ``NEWSCRAWL_REDIS_KEY_TTL`` seconds after the last sign of life, and a worker that
  starts when no live worker is registered discards what dead workers left behind;
* crawl-wide figures: each worker adds its ``newscrawl/*`` stats to a shared tally with every
  heartbeat and whenever it goes idle; at the end every worker has the crawl's totals
  (``newscrawl/shared/*``), on which the run checks judge the crawl as a whole (a worker that
  happened to read no index page did not fail);
* Scrapy 2.19 compatibility: stats are written without the deprecated ``spider`` argument, and the
  seen-filter uses the crawler's request fingerprinter (REQUEST_FINGERPRINTER_CLASS) instead of
  scrapy-redis's own hash, so "the same request" means what it means to Scrapy's own filter.
  scrapy-redis's RedisSpider/RedisMixin (start URLs fed through a Redis list) is not used: it
  calls ``engine.crawl(request, spider=...)``, which Scrapy 2.19 no longer accepts.

Requests are stored pickled (as in scrapy-redis and Scrapy's own JOBDIR queues): the Redis server
must be reachable only by the crawl's machines.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import uuid
from dataclasses import dataclass

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.misc import load_object
from scrapy_redis import picklecompat
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet.task import LoopingCall

from newscrawl.masking import mask_password, mask_secrets

logger = logging.getLogger(__name__)

SCHEDULER = "newscrawl.distributed.SharedScheduler"
DUPEFILTER = "newscrawl.distributed.SharedDupeFilter"
STATS_PREFIX = "newscrawl/"
SHARED_PREFIX = "newscrawl/shared/"
# Failures of this worker's own files and database writes: judged per worker, not crawl-wide.
LOCAL_ONLY = ("warc/write_failed", "store_failed")
NOT_TALLIED = ("run_failed",)


class SharedCrawlUnavailable(RuntimeError):
    """Redis cannot be reached (or REDIS_URL is not a Redis URL); the message says which."""


def check_redis(url: str) -> None:
    """Raise SharedCrawlUnavailable unless a Redis server answers at ``url``."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    except ValueError as error:
        raise SharedCrawlUnavailable(
            f"REDIS_URL {mask_password(url)} is not a Redis URL: {mask_secrets(str(error), url)}") from None
    try:
        client.ping()
    except redis.AuthenticationError as error:  # it answered: "unreachable" would be untrue
        raise SharedCrawlUnavailable(
            f"Redis at {mask_password(url)} refused the credentials of REDIS_URL: {mask_secrets(str(error), url)}") from None
    except (redis.RedisError, OSError) as error:
        raise SharedCrawlUnavailable(
            f"Redis at {mask_password(url)} is unreachable: {mask_secrets(str(error), url)}") from None
    finally:
        client.close()


# -- keys ------------------------------------------------------------------------------------------
def plan_key(plan) -> str:
    """The part of the keys that names a crawl: ``<first day>..<last day>:<digest>`` (``urls:<digest>``
    for a URL list). Runs with the same arguments on the same WIB day share it; any difference in
    what they would fetch (channels, range, RSS, URL list, refresh, replay) gives another digest."""
    if plan is None:
        return "all"
    identity = {
        "channels": list(plan.channels),
        "days": [plan.first_day.isoformat(), plan.last_day.isoformat()] if plan.days else None,
        "rss": plan.read_rss,
        "urls": list(plan.article_urls),
        "refresh": plan.refresh,
        "bounded": plan.bounded,
        "replay": plan.replay,
    }
    digest = hashlib.sha1(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()[:10]
    label = f"{plan.first_day.isoformat()}..{plan.last_day.isoformat()}" if plan.days else "urls"
    return f"{label}:{digest}"


@dataclass(frozen=True)
class CrawlKeys:
    base: str

    @classmethod
    def for_spider(cls, spider, prefix: str) -> "CrawlKeys":
        return cls(f"{prefix}:{spider.name}:{plan_key(getattr(spider, 'plan', None))}")

    @property
    def queue(self) -> str:  # sorted set of pickled requests (scrapy-redis PriorityQueue)
        return f"{self.base}:requests"

    @property
    def seen(self) -> str:  # set of request fingerprints
        return f"{self.base}:seen"

    @property
    def workers(self) -> str:  # hash: worker id -> "<busy|idle|closing> <deadline, ms of Redis time>"
        return f"{self.base}:workers"

    @property
    def tally(self) -> str:  # hash: stats key (without newscrawl/) -> crawl-wide total
        return f"{self.base}:tally"

    @property
    def all(self) -> list[str]:
        return [self.workers, self.queue, self.seen, self.tally]


# -- the protocol (each script runs atomically in Redis) -------------------------------------------
# KEYS of the crawl scripts: 1 workers, 2 queue, 3 seen, 4 tally.
_LUA_COMMON = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function parse(value)
  local state, deadline = string.match(value, '^(%a+) (%d+)$')
  return state, tonumber(deadline)
end
local function touch(ttl)
  for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ttl) end
end
local function add_tally(first)
  for i = first, #ARGV, 2 do redis.call('HINCRBY', KEYS[4], ARGV[i], ARGV[i + 1]) end
end
-- Drops the workers whose deadline has passed; returns how many live ones remain.
local function prune_dead_workers(now)
  local live = 0
  local entries = redis.call('HGETALL', KEYS[1])
  for i = 1, #entries, 2 do
    local _, deadline = parse(entries[i + 1])
    if deadline == nil or deadline < now then
      redis.call('HDEL', KEYS[1], entries[i])
    else
      live = live + 1
    end
  end
  return live
end
"""

# ARGV: id, timeout_ms, ttl. Returns {other live workers, stale keys discarded}.
_JOIN = _LUA_COMMON + """
local now = now_ms()
local live = prune_dead_workers(now)
local stale = 0
if live == 0 then
  stale = redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
end
redis.call('HSET', KEYS[1], ARGV[1], 'busy ' .. (now + tonumber(ARGV[2])))
redis.call('HINCRBY', KEYS[4], 'workers', 1)
touch(ARGV[3])
return {live, stale}
"""

# ARGV: id, timeout_ms, ttl, then stats key/delta pairs. Returns 1 if this worker had been given
# up for dead (and is back).
_HEARTBEAT = _LUA_COMMON + """
local now = now_ms()
add_tally(4)
local value = redis.call('HGET', KEYS[1], ARGV[1])
local state, lost = 'busy', 0
if value then state = parse(value) else lost = 1 end
redis.call('HSET', KEYS[1], ARGV[1], state .. ' ' .. (now + tonumber(ARGV[2])))
touch(ARGV[3])
return lost
"""

# KEYS: 1 queue, 2 workers. ARGV: id, timeout_ms. Pops the first request and marks the worker busy
# in one step, so no other worker can see the queue empty and this worker idle in between.
_TAKE = """
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then return false end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[2], ARGV[1], 'busy ' .. (now + tonumber(ARGV[2])))
return popped[1]
"""

# ARGV: id, timeout_ms, ttl, then stats key/delta pairs. Called when this worker has nothing in hand.
# Returns {'work'} (the queue has requests), {'wait', busy worker} or {'done', tally, dead workers}.
_IDLE = _LUA_COMMON + """
local now = now_ms()
local deadline = now + tonumber(ARGV[2])
add_tally(4)
touch(ARGV[3])
if redis.call('ZCARD', KEYS[2]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], 'idle ' .. deadline)
  return {'work'}
end
local dead = {}
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  if entries[i] ~= ARGV[1] then
    local state, until_ms = parse(entries[i + 1])
    if until_ms == nil or until_ms < now then
      redis.call('HDEL', KEYS[1], entries[i])
      table.insert(dead, entries[i])
    elseif state == 'busy' then
      redis.call('HSET', KEYS[1], ARGV[1], 'idle ' .. deadline)
      return {'wait', entries[i]}
    end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], 'closing ' .. deadline)
return {'done', redis.call('HGETALL', KEYS[4]), dead}
"""

# ARGV: id, then stats key/delta pairs. Returns {'last', tally} when no live worker remains (the
# crawl's keys are deleted), else {'left', {}}.
_LEAVE = _LUA_COMMON + """
local now = now_ms()
add_tally(2)
redis.call('HDEL', KEYS[1], ARGV[1])
if prune_dead_workers(now) == 0 then
  local tally = redis.call('HGETALL', KEYS[4])
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
  return {'last', tally}
end
return {'left', {}}
"""


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _pairs(flat) -> dict[str, int]:
    items = [_text(value) for value in flat or []]
    return {items[i]: int(items[i + 1]) for i in range(0, len(items) - 1, 2)}


@dataclass
class IdleOutcome:
    state: str  # "work", "wait" or "done"
    busy_worker: str | None = None
    tally: dict[str, int] | None = None
    dead_workers: tuple[str, ...] = ()


class SharedCrawl:
    """One worker's membership in a shared crawl: join, heartbeat, take, idle, leave."""

    def __init__(self, server, keys: CrawlKeys, worker_id: str, worker_timeout: float, key_ttl: int):
        self.server = server
        self.keys = keys
        self.worker_id = worker_id
        self.timeout_ms = max(1, int(worker_timeout * 1000))
        self.ttl = max(1, int(key_ttl))
        self._join = server.register_script(_JOIN)
        self._heartbeat = server.register_script(_HEARTBEAT)
        self._take = server.register_script(_TAKE)
        self._idle = server.register_script(_IDLE)
        self._leave = server.register_script(_LEAVE)
        self.joined = False

    def join(self) -> tuple[int, int]:
        """Register as busy; returns (other live workers, stale keys discarded)."""
        live, stale = self._join(keys=self.keys.all, args=[self.worker_id, self.timeout_ms, self.ttl])
        self.joined = True
        return int(live), int(stale)

    def heartbeat(self, deltas: dict[str, int] | None = None) -> bool:
        """Refresh this worker's deadline and the keys' expiry, adding its latest counts to the tally;
        False if it had been given up for dead."""
        args = [self.worker_id, self.timeout_ms, self.ttl, *_flatten(deltas or {})]
        return not int(self._heartbeat(keys=self.keys.all, args=args))

    def take(self) -> bytes | None:
        return self._take(keys=[self.keys.queue, self.keys.workers], args=[self.worker_id, self.timeout_ms])

    def idle(self, deltas: dict[str, int]) -> IdleOutcome:
        reply = self._idle(keys=self.keys.all, args=[self.worker_id, self.timeout_ms, self.ttl, *_flatten(deltas)])
        state = _text(reply[0])
        if state == "wait":
            return IdleOutcome("wait", busy_worker=_text(reply[1]))
        if state == "done":
            return IdleOutcome("done", tally=_pairs(reply[1]), dead_workers=tuple(_text(x) for x in reply[2] or []))
        return IdleOutcome(state)

    def leave(self, deltas: dict[str, int]) -> dict[str, int] | None:
        """Deregister; the crawl-wide tally if this was the last live worker (the keys are then gone)."""
        reply = self._leave(keys=self.keys.all, args=[self.worker_id, *_flatten(deltas)])
        self.joined = False
        return _pairs(reply[1]) if _text(reply[0]) == "last" else None


def _flatten(deltas: dict[str, int]) -> list:
    flat: list = []
    for key, value in deltas.items():
        flat.extend((key, int(value)))
    return flat


# -- the Scrapy components --------------------------------------------------------------------------
class SharedQueue(PriorityQueue):
    """scrapy-redis's priority queue on the crawl's key; pushes refresh the key's expiry, pops go
    through the protocol (pop and mark busy at once)."""

    def __init__(self, server, spider, crawl: SharedCrawl, serializer=picklecompat):
        super().__init__(server, spider, key="unused", serializer=serializer)
        self.key = crawl.keys.queue  # not %-formatted: a prefix may contain anything
        self.crawl = crawl

    def push(self, request):
        data = self._encode_request(request)
        pipe = self.server.pipeline(transaction=False)
        pipe.zadd(self.key, {data: -request.priority})
        pipe.expire(self.key, self.crawl.ttl)
        pipe.execute()

    def pop(self, timeout=0):
        data = self.crawl.take()
        return self._decode_request(data) if data else None


class SharedDupeFilter(RFPDupeFilter):
    """The seen-request filter in a Redis set shared by the crawl's workers. Fingerprints come from
    the crawler's request fingerprinter, as for Scrapy's own RFPDupeFilter. Closing never deletes
    the set: other workers may still be using it (the last worker's leave does)."""

    def __init__(self, server, key: str, fingerprinter, ttl: int, stats=None, debug: bool = False):
        super().__init__(server, key=key, debug=debug)
        self.fingerprinter = fingerprinter
        self.ttl = ttl
        self.stats = stats

    @classmethod
    def for_crawl(cls, server, crawl: SharedCrawl, crawler) -> "SharedDupeFilter":
        return cls(server, crawl.keys.seen, crawler.request_fingerprinter, crawl.ttl, crawler.stats,
                   debug=crawler.settings.getbool("DUPEFILTER_DEBUG"))

    @classmethod
    def from_crawler(cls, crawler):
        raise NotConfigured("SharedDupeFilter is created by newscrawl.distributed.SharedScheduler")

    def request_fingerprint(self, request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def request_seen(self, request) -> bool:
        pipe = self.server.pipeline(transaction=False)
        pipe.sadd(self.key, self.request_fingerprint(request))
        pipe.expire(self.key, self.ttl)
        added, _ = pipe.execute()
        return added == 0

    def log(self, request, spider):
        if self.stats is not None:
            self.stats.inc_value("dupefilter/filtered")
        super().log(request, spider)

    def close(self, reason=""):
        pass


class SharedScheduler(RedisScheduler):
    """scrapy-redis's scheduler with per-crawl keys, the worker protocol and crawl-wide figures."""

    def __init__(self, server, crawler):
        super().__init__(server, persist=True)
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.prefix = settings.get("NEWSCRAWL_REDIS_PREFIX")
        self.worker_timeout = settings.getfloat("NEWSCRAWL_REDIS_WORKER_TIMEOUT")
        self.key_ttl = settings.getint("NEWSCRAWL_REDIS_KEY_TTL")
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.crawl: SharedCrawl | None = None
        self.reported: dict[str, int] = {}
        self.finished = False
        self.waiting_for: str | None = None
        self._heartbeat: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        url = crawler.settings.get("REDIS_URL")
        if not url:
            raise NotConfigured("SharedScheduler needs REDIS_URL")
        server = get_redis_from_settings(crawler.settings)
        try:
            server.ping()
        except redis.RedisError as error:
            raise SharedCrawlUnavailable(
                f"REDIS_URL {mask_password(url)} is not usable: {mask_secrets(str(error), url)}") from None
        return cls(server, crawler)

    @classmethod
    def from_settings(cls, settings):
        raise NotConfigured("SharedScheduler is built from a crawler")

    # -- lifecycle ---------------------------------------------------------------------------------
    def open(self, spider):
        self.spider = spider
        keys = CrawlKeys.for_spider(spider, self.prefix)
        self.crawl = SharedCrawl(self.server, keys, self.worker_id, self.worker_timeout, self.key_ttl)
        self.queue = SharedQueue(self.server, spider, self.crawl, serializer=self.serializer or picklecompat)
        dupefilter_cls = load_object(self.crawler.settings.get("DUPEFILTER_CLASS") or DUPEFILTER)
        if not (isinstance(dupefilter_cls, type) and issubclass(dupefilter_cls, SharedDupeFilter)):
            raise NotConfigured(f"with REDIS_URL set, DUPEFILTER_CLASS must be {DUPEFILTER} (or a subclass)")
        self.df = dupefilter_cls.for_crawl(self.server, self.crawl, self.crawler)
        others, stale = self.crawl.join()
        if stale:
            logger.warning("shared crawl %s: no live worker was left; discarded what earlier workers left "
                           "behind (queue, seen-filter, tally) and starting afresh", keys.base)
        if others:
            logger.info("shared crawl %s: joined as worker %s, %d other worker(s) active",
                        keys.base, self.worker_id, others)
        else:
            logger.info("shared crawl %s: started by worker %s", keys.base, self.worker_id)
        self.stats.set_value("newscrawl/worker/crawl", keys.base)
        self.stats.set_value("newscrawl/worker/id", self.worker_id)
        self.crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        self._heartbeat = LoopingCall(self.heartbeat)
        self._heartbeat.start(max(0.5, self.worker_timeout / 4), now=False)

    def heartbeat(self) -> None:
        """Every NEWSCRAWL_REDIS_WORKER_TIMEOUT / 4 seconds: still alive, and this worker's counts so
        far (so the crawl-wide figures keep what a worker did before it died)."""
        pending = self._deltas()
        try:
            alive = self.crawl.heartbeat(pending)
        except redis.RedisError as error:
            self._unreport(pending)
            logger.error("shared crawl %s: heartbeat failed: %s", self.crawl.keys.base, error)
            return
        if not alive:
            logger.warning("shared crawl %s: this worker had been given up for dead (no heartbeat for "
                           "%.0f s) and registered again", self.crawl.keys.base, self.worker_timeout)

    def close(self, reason):
        """Never flushes: other workers may still be using the queue and the filter. The last worker
        to leave deletes the crawl's keys (whatever its reason for closing)."""
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        if self.crawl is None or not self.crawl.joined:
            return
        tally = self.crawl.leave(self._deltas())
        base = self.crawl.keys.base
        if tally is None:
            logger.info("shared crawl %s: worker %s left (%s); other workers remain", base, self.worker_id, reason)
            return
        logger.info("shared crawl %s: worker %s was the last (%s); its keys are removed. Crawl-wide: %s",
                    base, self.worker_id, reason, describe_tally(tally))

    # -- requests ----------------------------------------------------------------------------------
    def enqueue_request(self, request):
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.queue.push(request)
        self.stats.inc_value("scheduler/enqueued/redis")
        self.stats.inc_value("scheduler/enqueued")
        return True

    def next_request(self):
        request = self.queue.pop()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
            self.stats.inc_value("scheduler/dequeued")
        return request

    # -- the end of the crawl ------------------------------------------------------------------------
    def _deltas(self) -> dict[str, int]:
        """This worker's newscrawl/* counts not yet added to the crawl's tally."""
        deltas = {}
        for key, value in self.stats.get_stats().items():
            if not key.startswith(STATS_PREFIX) or key.startswith(SHARED_PREFIX):
                continue
            name = key[len(STATS_PREFIX):]
            if name in NOT_TALLIED or not isinstance(value, int) or isinstance(value, bool):
                continue
            delta = value - self.reported.get(name, 0)
            if delta:
                deltas[name] = delta
        self.reported.update({name: self.reported.get(name, 0) + delta for name, delta in deltas.items()})
        return deltas

    def _unreport(self, deltas: dict[str, int]) -> None:
        """The tally did not get these: report them again next time."""
        for name, delta in deltas.items():
            self.reported[name] -= delta

    def spider_idle(self, spider):
        """Scrapy found nothing to do here: report this worker's counts and stay while another worker
        is busy (it may still find links); when none is, the crawl is over."""
        if self.finished:
            return
        pending = self._deltas()
        try:
            outcome = self.crawl.idle(pending)
        except redis.RedisError:
            self._unreport(pending)
            raise
        if outcome.state == "work":
            raise DontCloseSpider
        if outcome.state == "wait":
            if outcome.busy_worker != self.waiting_for:
                logger.info("shared crawl %s: queue empty, waiting for worker %s", self.crawl.keys.base,
                            outcome.busy_worker)
                self.waiting_for = outcome.busy_worker
            raise DontCloseSpider
        self.finished = True
        for worker in outcome.dead_workers:
            logger.warning("shared crawl %s: worker %s sent no heartbeat for %.0f s and is given up for dead; "
                           "requests it had taken are not fetched in this crawl", self.crawl.keys.base, worker,
                           self.worker_timeout)
        for name, value in (outcome.tally or {}).items():
            self.stats.set_value(f"{SHARED_PREFIX}{name}", value)
        logger.info("shared crawl %s: finished (no request left, no worker busy)", self.crawl.keys.base)


def describe_tally(tally: dict[str, int]) -> str:
    def group(name: str) -> str:
        prefix = f"{name}/"
        values = {key[len(prefix):]: value for key, value in tally.items() if key.startswith(prefix)}
        return ", ".join(f"{key} {value}" for key, value in sorted(values.items())) or "none"

    return f"workers {tally.get('workers', 0)}; pages fetched: {group('pages')}; articles: {group('articles')}"


def crawl_wide_stats(stats: dict) -> dict | None:
    """The stats of the whole shared crawl, keyed as one process's stats are (``newscrawl/...``), for
    the run checks; None unless this process took part in a shared crawl that finished. This
    worker's own WARC and database failures stay its own."""
    shared = {f"{STATS_PREFIX}{key[len(SHARED_PREFIX):]}": value
              for key, value in stats.items() if key.startswith(SHARED_PREFIX)}
    if not shared:
        return None
    for name in LOCAL_ONLY:
        shared.pop(f"{STATS_PREFIX}{name}", None)
        if f"{STATS_PREFIX}{name}" in stats:
            shared[f"{STATS_PREFIX}{name}"] = stats[f"{STATS_PREFIX}{name}"]
    return shared


class SharedCrawlAddon:
    """Listed in ADDONS: with REDIS_URL set, use the shared scheduler and seen-filter; without it,
    change nothing (Scrapy's own scheduler and dupefilter stay)."""

    def update_settings(self, settings) -> None:
        if not settings.get("REDIS_URL"):
            return
        settings.set("SCHEDULER", SCHEDULER, "addon")
        settings.set("DUPEFILTER_CLASS", DUPEFILTER, "addon")
