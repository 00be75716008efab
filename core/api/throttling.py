from rest_framework.throttling import SimpleRateThrottle


class TenantRateThrottle(SimpleRateThrottle):
    """Partner Center throttles per partner tenant (500 requests/minute for customers, orders,
    subscriptions). Counted per organisation across all its users and credentials."""

    scope = "tenant"

    def get_cache_key(self, request, view):
        actor = getattr(request, "auth", None)
        organisation_id = getattr(actor, "organisation_id", None)
        if organisation_id is None:
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": f"org-{organisation_id}"}
