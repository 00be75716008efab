import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnercenter.settings")
application = get_wsgi_application()

# The objects loaded so far (Django, DRF, the apps, the schema: some 130,000) live as long as the process. Frozen,
# Python's cycle collector stops walking them: a full collection took 100-300 ms of one request every few hundred
# requests, and every collection cost more with them around.
gc.freeze()
