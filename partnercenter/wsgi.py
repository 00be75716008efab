import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnercenter.settings")
django.setup(set_prefix=False)  # as django.core.wsgi.get_wsgi_application, with the portal's handler

from core.handlers import PortalWSGIHandler  # noqa: E402 - after setup, as Django's own handler

application = PortalWSGIHandler()


def _load_lazy_parts():
    """What Django and Celery load on first use, loaded now, in each gunicorn worker as it boots (no connection is
    opened): every view (the URLconf and all it includes) and the reverse map, the cache's client, and the Celery
    app with its broker transport (the first task a request queues). Otherwise a worker's first requests pay for
    the imports (about a second), and the objects would miss the freeze below."""
    from django.core.cache import caches
    from django.urls import get_resolver

    from partnercenter.celery import app

    get_resolver().reverse_dict  # noqa: B018 - the property populates the resolver
    getattr(caches["default"], "_cache", None)  # the Redis client and its pool (no connection yet)
    app.finalize(auto=True)
    app.connection_for_write().transport  # noqa: B018 - loads the transport class (no connection yet)


_load_lazy_parts()

# The objects loaded so far (Django, DRF, the apps, the schema: some 130,000) live as long as the process. Frozen,
# Python's cycle collector stops walking them: a full collection took 100-300 ms of one request every few hundred
# requests, and every collection cost more with them around.
gc.freeze()
# Python 3.12 collected the young generation each time container allocations outnumbered frees by 700: several
# times per API request (a page allocates some thousands of objects), each walk finding nothing, since requests free
# their objects by reference counting (DRF's cycles are cut once the answer is sent: core.api.views). Every 10,000
# (and the older generations after 20 younger collections, not 10) keeps memory flat with fewer walks (about 3 % of a
# customer page's time in process). The Dockerfile's Python is 3.12; 3.14's incremental collector reads these
# thresholds differently: measure again before moving to it.
gc.set_threshold(10_000, 20, 20)
