"""The web workers' garbage-collector settings: frozen once, after the first request only."""

from __future__ import annotations

import gc

import pytest
from django.core.signals import request_finished

from aftersales.core import gc_tuning


@pytest.fixture
def fresh(monkeypatch):
    before = gc.get_threshold()
    monkeypatch.setattr(gc_tuning, "_done", False)
    yield
    request_finished.disconnect(dispatch_uid="aftersales.gc_tuning")
    gc.unfreeze()
    gc.set_threshold(*before)


def test_nothing_changes_before_the_first_request(fresh):
    gc.unfreeze()
    gc_tuning.install()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() != gc_tuning.THRESHOLDS


def test_the_first_request_freezes_and_raises_the_threshold(fresh, client, monkeypatch):
    gc.unfreeze()
    gc_tuning.install()
    client.get("/api/v1/ping")
    assert gc.get_freeze_count() > 10_000
    assert gc.get_threshold() == gc_tuning.THRESHOLDS
    calls = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(1))
    client.get("/api/v1/ping")  # later requests freeze nothing more
    assert calls == []


def test_cyclic_garbage_is_still_collected(fresh, client):
    gc_tuning.install()
    client.get("/api/v1/ping")

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    del a, b
    assert gc.collect() >= 2
