"""core.urls.reverse_held: what reverse() gives, held per script prefix and arguments."""

from __future__ import annotations

from django.urls import reverse, set_script_prefix

from aftersales.core.urls import reverse_held


def test_held_addresses_are_reverses_per_prefix_and_arguments():
    try:
        for prefix in ("/", "/aftersales/", "/"):
            set_script_prefix(prefix)
            for _ in range(2):
                assert reverse_held("service:workbench") == reverse("service:workbench")
                assert reverse_held("service:track", "abc") == reverse("service:track", args=["abc"])
                assert reverse_held("service:track", "xyz") == reverse("service:track", args=["xyz"])
            assert reverse_held("service:workbench").startswith(prefix)
    finally:
        set_script_prefix("/")
