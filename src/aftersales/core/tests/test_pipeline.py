"""core.pipeline: writes sent ahead on PostgreSQL behave as writes sent one by one, errors included."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, connections, transaction

from aftersales.core.inserts import insert
from aftersales.core.models import Sequence
from aftersales.core.pipeline import pipelined
from aftersales.core.sequences import next_value

pytestmark = pytest.mark.django_db


def test_it_belongs_inside_a_transaction(monkeypatch):
    # (The tests run inside a transaction of their own: what the check sees is made up here.)
    monkeypatch.setattr(connections["default"], "in_atomic_block", False)
    with pytest.raises(RuntimeError, match="atomic"), pipelined():
        pass


def test_rows_written_ahead_are_there_and_values_read_in_between_are_current():
    with transaction.atomic(), pipelined():
        insert([Sequence(name="pipe-a", value=1)])
        insert([Sequence(name="pipe-b", value=2)])
        # A statement that reads rows waits for everything sent before it.
        assert next_value("pipe-a") == 2
        insert([Sequence(name="pipe-c", value=3)])
    assert dict(Sequence.objects.filter(name__startswith="pipe-").values_list("name", "value")) == {
        "pipe-a": 2,
        "pipe-b": 2,
        "pipe-c": 3,
    }


def test_an_error_of_a_row_sent_ahead_is_djangos_and_rolls_the_whole_block_back():
    insert([Sequence(name="pipe-taken", value=1)])

    def write() -> None:
        with transaction.atomic(), pipelined():
            insert([Sequence(name="pipe-new", value=1)])
            insert([Sequence(name="pipe-taken", value=2)])  # refused by the unique name
            insert([Sequence(name="pipe-after", value=1)])

    with pytest.raises(IntegrityError):
        write()
    assert list(Sequence.objects.filter(name__startswith="pipe-").values_list("name", "value")) == [("pipe-taken", 1)]
    # The connection is usable afterwards, and so is another pipelined block.
    with transaction.atomic(), pipelined():
        insert([Sequence(name="pipe-again", value=1)])
    assert Sequence.objects.filter(name="pipe-again").exists()
    assert connection.in_atomic_block  # the test's own transaction is still the one in force
