"""Settings for the test suite: the normal settings with a throw-away data directory and fast hashing."""

import os
import tempfile

os.environ["AFTERSALES_TESTING"] = "1"
# One fixed directory per user, not a new one per run (./test sets its own).
os.environ.setdefault("AFTERSALES_DATA_DIR", os.path.join(tempfile.gettempdir(), f"aftersales-test-{os.getuid()}"))
os.environ.setdefault("AFTERSALES_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

from aftersales.settings import *  # noqa: E402,F403

# A file (in WAL mode, like production) rather than shared-cache memory: concurrent tests then wait for
# locks with the busy timeout, as real workers do, instead of failing with "table is locked".
if DATABASES["default"]["ENGINE"] == SQLITE_ENGINE:  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(os.environ["AFTERSALES_DATA_DIR"], "test.sqlite3")}  # noqa: F405
