"""Background jobs of service requests: polling the service mailbox over IMAP."""

from __future__ import annotations

import imaplib
import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.core import context
from aftersales.core.context import Channel
from aftersales.service import inbound, search, timers

logger = logging.getLogger(__name__)


def mailbox_poll(client: imaplib.IMAP4) -> int:
    """Read every unseen message of the selected folder into requests; mark each seen after it is stored."""
    status, data = client.search(None, "UNSEEN")
    if status != "OK":
        return 0
    done = 0
    for number in data[0].split():
        status, parts = client.fetch(number, "(RFC822)")
        if status != "OK" or not parts or not isinstance(parts[0], tuple):
            continue
        try:
            with context.acting(channel=Channel.JOB):
                inbound.mail_receive(parts[0][1])
        except Exception:
            logger.exception("could not take in an e-mail", extra={"imap_number": number.decode()})
            continue
        client.store(number, "+FLAGS", "\\Seen")
        done += 1
    return done


@db_periodic_task(crontab(minute="*"))
def mailbox_poll_job() -> int:
    """Every minute when AFTERSALES_IMAP_HOST is set (idempotent: only unseen mail is read)."""
    if not settings.IMAP_HOST:
        return 0
    client = imaplib.IMAP4_SSL(settings.IMAP_HOST, settings.IMAP_PORT, timeout=30)
    try:
        client.login(settings.IMAP_USER, settings.IMAP_PASSWORD)
        client.select(settings.IMAP_FOLDER)
        return mailbox_poll(client)
    finally:
        try:
            client.logout()
        except imaplib.IMAP4.error:
            logger.warning("IMAP logout failed")


@db_periodic_task(crontab(minute="*"))
def sla_sweep_job() -> dict[str, int]:
    """Warn and escalate time limits every minute (idempotent; safe in several workers)."""
    with context.acting(channel=Channel.JOB):
        return timers.sla_sweep()


@db_periodic_task(crontab(minute="47", hour="3"))
def search_index_compact_job() -> int:
    """Merge the full-text index every night (service.search.index_compact): the day's creates leave
    small parts that the next day's writes would otherwise merge one by one."""
    with context.acting(channel=Channel.JOB):
        return search.index_compact()
