"""Two workers sweeping at the same moment, in real threads with their own database connections."""

from __future__ import annotations

import datetime as dt
import threading

from django.db import connection
from tests import factories

from aftersales.notifications.models import OutboxMessage
from aftersales.service import services, timers
from aftersales.service.models import RequestTimer, TimelineEntry
from aftersales.service.services import RequestData
from aftersales.sla.rules import SHANGHAI
from aftersales.sla.services import sla_presets_load


def test_two_concurrent_sweeps_escalate_and_notify_once(transactional_db, org, make_user):
    agent = make_user("agent", org["a"], email="agent@example.cn")
    make_user("supervisor", org["a"], email="boss@example.cn")
    sla_presets_load(actor=make_user("admin", org["hq"]))
    customer = factories.customer(agent, org["a"], name="陈先生", phone="13812345678")
    request, _ = services.request_create(
        actor=agent,
        data=RequestData(
            type="repair",
            customer_id=customer.pk,
            title="空调不制冷",
            channel="phone",
            received_at=dt.datetime(2026, 11, 16, 10, tzinfo=SHANGHAI),
            auto_assign=False,
        ),
    )
    assert request.timers.count() == 3
    # Registered at intake: the first response is met (late: received days ago); two limits still run.
    running = request.timers.filter(met_at__isnull=True).count()
    assert running == 2
    moment = dt.datetime(2026, 11, 20, 10, tzinfo=SHANGHAI)
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(timers.sla_sweep(now=moment))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sum(r["breached"] for r in results) == running
    assert TimelineEntry.objects.filter(request=request, kind="escalation", data__level=1).count() == running
    assert RequestTimer.objects.filter(request=request, escalation_level=1).count() == running
    assert (
        OutboxMessage.objects.filter(recipient="boss@example.cn", dedupe_key__startswith="sla-breach").count()
        == running
    )
