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

    def allow_request(self, request, view):
        from django.core.cache.backends.redis import RedisCache

        cache = caches["default"]
        if self.rate is None or not isinstance(cache, RedisCache):
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        key = cache.make_and_validate_key(self.key)
        client = cache._cache.get_client(key, write=True)
        allowed, count, oldest = _redis_script(client)(keys=[key], client=client,
                                                       args=[repr(self.now), self.duration, self.num_requests])
        self._count, self._oldest = int(count), float(oldest) if oldest else None
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
