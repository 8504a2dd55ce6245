"""WSGI entry point (gunicorn aftersales.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
application = get_wsgi_application()

if os.environ.get("AFTERSALES_GC_TUNING", "1") != "0":
    from aftersales.core import gc_tuning

    gc_tuning.install()

# SQLite: WAL checkpoints in a thread of this worker instead of inside a committing request.
from aftersales.core import sqlite_checkpoint  # noqa: E402

sqlite_checkpoint.start()
