"""Skip this app's tests when the settings in use do not install it (before the project wires it in)."""

from django.conf import settings

collect_ignore_glob = [] if "aftersales.exchange" in settings.INSTALLED_APPS else ["test_*.py"]
