import os
import threading

from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

# DRF's sliding window (SimpleRateThrottle.allow_request) in one Redis round trip, atomically: drop the
# timestamps older than the window from the list's old end, refuse when `limit` remain, else push `now` and keep
# the list for one window. Returns {allowed, count, oldest}: what `wait()` needs for Retry-After.
_SLIDING_WINDOW = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local edge = now - window
while true do
    local oldest = redis.call('LINDEX', key, -1)
    if not oldest or tonumber(oldest) > edge then break end
    redis.call('RPOP', key)
end
local count = redis.call('LLEN', key)
if count >= limit then
    return {0, count, redis.call('LINDEX', key, -1) or ''}
end
redis.call('LPUSH', key, ARGV[1])
redis.call('EXPIRE', key, ARGV[2])
return {1, count + 1, ''}
"""
_script = None
# Tenants refused lately in this process, by window key: until when their requests are checked before the view runs.
_refused_until = {}
_REFUSED_MAX = 10_000


_held = threading.local()


class _Held:
    """This thread's own connection for deferred counts (TenantRateThrottle.start), made with the pool's settings
    (server, database, credentials, TLS) but never lent by it: taking one from the pool and giving it back was
    about a third of the throttle's cost per request (the pool's lock, its checks, a poll of the socket). It is
    opened on first use, opened again after an error closed it, and made anew in a forked child. `waiting` is true
    from a count's send to the reading (or dropping) of its answer: a connection found still waiting is closed
    before it is used again, so an answer can only ever be read by the request that sent its count."""

    __slots__ = ("pool", "pid", "connection", "waiting")

    def __init__(self, pool):
        self.pool, self.pid, self.waiting = pool, os.getpid(), False
        self.connection = pool.connection_class(**pool.connection_kwargs)


def _held_connection(pool):
    held = getattr(_held, "value", None)
    if held is None or held.pool is not pool or held.pid != os.getpid():
        held = _held.value = _Held(pool)
    elif held.waiting:  # an answer nobody read (a path that neither read nor dropped it): never hand it on
        held.connection.disconnect()
        held.waiting = False
    return held


def _pack(encoder, *args) -> bytes:
    """A command in Redis's protocol (RESP), each argument encoded by the client's own encoder (numbers as their
    text, strings in the client's encoding; what redis-py refuses, it refuses)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = encoder.encode(arg)
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def _redis_script(client):
    global _script
    if _script is None:
        _script = client.register_script(_SLIDING_WINDOW)  # EVALSHA, falling back to EVAL once per Redis server
    return _script


class TenantRateThrottle(SimpleRateThrottle):
    """Partner Center throttles per partner tenant (500 requests/minute for customers, orders,
    subscriptions). Counted per organisation across all its users and credentials.

    DRF's sliding window: a request is refused while `num_requests` requests were let through in the last
    `duration` seconds. With the Redis cache (production) the window is a Redis list updated by one script, one
    round trip per request and atomic across workers (DRF reads and rewrites the whole pickled list: two round trips,
    and concurrent requests can lose each other's updates); with another cache backend it is DRF's own code.
    """

    scope = "tenant"
    cache_format = "throttle_%(scope)s_%(ident)s_list"  # a Redis list, never one of DRF's pickled histories

    def get_cache_key(self, request, view):
        actor = getattr(request, "auth", None)
        organisation_id = getattr(actor, "organisation_id", None)
        if organisation_id is None:
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": f"org-{organisation_id}"}

    def _window(self, request, view):
        """(Redis client, key) for the window's script, or None where DRF's own code decides (no rate, another cache
        backend)."""
        from django.core.cache.backends.redis import RedisCache

        cache = caches["default"]
        if self.rate is None or not isinstance(cache, RedisCache):
            return None
        self.key = self.get_cache_key(request, view)
        self.now = self.timer()
        # The cache's key (its prefix and version; the key is ours, short ASCII, so memcached's key warnings have
        # nothing to say) and one client per cache object for the process (Django makes a client per call: the
        # object only wraps the pool, which stays the cache's own).
        key = cache.make_key(self.key)
        client = getattr(cache, "_throttle_client", None)
        if client is None:
            client = cache._throttle_client = cache._cache.get_client(key, write=True)
        return client, key

    def _args(self):
        return [repr(self.now), self.duration, self.num_requests]

    def allow_request(self, request, view):
        window = self._window(request, view)
        if window is None:
            return super().allow_request(request, view)
        client, key = window
        return self._answered(_redis_script(client)(keys=[key], client=client, args=self._args()))

    def start(self, request, view):
        """Send this request's count to Redis without waiting for the answer, for a view that reads the answer after
        its own work (core.api.views.PCAPIView.deferred_throttle_methods): the round trip to Redis then overlaps the
        view's query. Returns a PendingThrottle, or None where the request must be checked now: DRF's path, or a
        tenant this process saw refused less than its Retry-After ago, so that a tenant over its rate gets its 429
        before any query runs (at most one request per process and refusal runs its query first)."""
        window = self._window(request, view)
        if window is None or self.now < _refused_until.get(self.key, 0):
            return None
        client, key = window
        script = _redis_script(client)
        pool = client.connection_pool
        held = _held_connection(pool)
        try:
            held.connection.send_packed_command([_pack(pool.get_encoder(), "EVALSHA", script.sha, 1, key,
                                                       *self._args())], check_health=False)
        except Exception:  # nothing was counted, or it is counted again: the client's own retries decide
            held.connection.disconnect()
            return None
        held.waiting = True
        return PendingThrottle(self, client, key, held)

    def _answered(self, reply):
        allowed, count, oldest = reply
        self._count, self._oldest = int(count), float(oldest) if oldest else None
        if allowed:
            _refused_until.pop(self.key, None)
        else:
            if len(_refused_until) > _REFUSED_MAX:
                _refused_until.clear()
            _refused_until[self.key] = self.now + (self.wait() or self.duration)
        return bool(allowed)

    def wait(self):
        if not hasattr(self, "_count"):
            return super().wait()
        # SimpleRateThrottle.wait with the list's length and oldest entry.
        remaining = self.duration - (self.now - self._oldest) if self._oldest is not None else self.duration
        available = self.num_requests - self._count + 1
        if available <= 0:
            return None
        return remaining / float(available)


class PendingThrottle:
    """A count sent to Redis by TenantRateThrottle.start whose answer is not read yet. `allowed()` reads it (once);
    `abandon()` drops it (the view failed): the connection is closed, so its unread answer cannot reach another
    command. The connection is the thread's own (_Held), never the pool's."""

    __slots__ = ("throttle", "client", "key", "held")

    def __init__(self, throttle, client, key, held):
        self.throttle, self.client, self.key, self.held = throttle, client, key, held

    def allowed(self) -> bool:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import NoScriptError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        held, self.held = self.held, None
        connection = held.connection
        try:
            reply = connection.read_response()
        except NoScriptError:  # Redis lost its scripts (a restart): nothing ran; the client loads it and runs it
            return self._again()
        except (RedisConnectionError, RedisTimeoutError):  # as the client would: a new connection, once more
            connection.disconnect()
            return self._again()
        except BaseException:
            connection.disconnect()
            raise
        finally:
            held.waiting = False  # the answer is read, or the connection closed
        return self.throttle._answered(reply)

    def _again(self):
        throttle = self.throttle
        return throttle._answered(_redis_script(self.client)(keys=[self.key], client=self.client,
                                                              args=throttle._args()))

    def abandon(self):
        held, self.held = self.held, None
        if held is not None:
            held.connection.disconnect()
            held.waiting = False
