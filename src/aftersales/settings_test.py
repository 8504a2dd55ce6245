"""Settings for the test suite: the normal settings with a throw-away data directory and fast hashing."""

import os
import tempfile

os.environ["AFTERSALES_TESTING"] = "1"
os.environ.setdefault("AFTERSALES_DATA_DIR", tempfile.mkdtemp(prefix="aftersales-test-"))
os.environ.setdefault("AFTERSALES_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

from aftersales.settings import *  # noqa: E402,F403
