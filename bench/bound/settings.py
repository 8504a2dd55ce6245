"""The product's settings plus the replay endpoint of bench/bound.py (benchmark only, never deployed)."""

from aftersales.settings import *  # noqa: F403

ROOT_URLCONF = "bound.urls"
