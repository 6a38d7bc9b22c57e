"""Outgoing webhooks: the webhooks themselves, their persisted delivery queue and the delivery log
(migration 0012). No network and no NiceGUI here: ``app.services.webhooks`` sends what is queued.

A webhook's signing secret is never in the database: ``Webhook.secret_ref`` names it in the key store
(``app.llm.keys``: the OS keyring or the 0600 key file), like a provider's API key. Exports and backups
of the database therefore never carry it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from peewee import BooleanField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField

from ..errors import NotFound, ValidationError
from .db import database_proxy, write_tx
from .models import utcnow

# The events a webhook can ask for (``test`` is sent to one webhook on demand, whatever it asked for).
EVENTS: dict[str, str] = {
    'output.captured': 'Output captured',
    'conversation.imported': 'Conversation imported',
    'conversation.finished': 'Conversation finished in chat',
    'prompt.version_saved': 'Prompt version saved',
}
TEST_EVENT = 'test'

PENDING, DELIVERED, FAILED = 'pending', 'delivered', 'failed'
MAX_URL_LENGTH = 2000
LOG_KEEP_DAYS = 30  # delivery log rows (and finished deliveries) older than this are pruned
LOG_KEEP_ROWS = 1000  # and at most this many per webhook


class _Base(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class Webhook(_Base):
    url = TextField()
    events = TextField()  # JSON list of event names
    allow_secret = BooleanField(default=False)  # Secret (restricted) items are sent too
    enabled = BooleanField(default=True)
    secret_ref = TextField(null=True)  # the secret's name in the key store, never the secret
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    @property
    def event_list(self) -> list[str]:
        try:
            value = json.loads(self.events or '[]')
        except ValueError:
            return []
        return [e for e in value if e in EVENTS] if isinstance(value, list) else []


class WebhookDelivery(_Base):
    webhook = ForeignKeyField(Webhook, on_delete='CASCADE', backref='+')
    delivery_id = TextField(unique=True)
    event = TextField()
    payload = TextField()  # the exact JSON body that is signed and sent
    status = TextField(default=PENDING)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    last_status_code = IntegerField(null=True)
    last_error = TextField(null=True)
    created_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)


class WebhookAttempt(_Base):
    delivery = ForeignKeyField(WebhookDelivery, on_delete='CASCADE', backref='+', column_name='delivery_id')
    webhook = ForeignKeyField(Webhook, on_delete='CASCADE', backref='+')
    attempt = IntegerField()
    status_code = IntegerField(null=True)
    error = TextField(null=True)
    attempted_at = DateTimeField(default=utcnow)
    duration_ms = IntegerField(default=0)


# --------------------------------------------------------------------------- validation


def check_url(url: str) -> str:
    """The address, trimmed, or a one-sentence ``ValidationError``: http or https with a host."""
    url = (url or '').strip()
    if not url:
        raise ValidationError('Enter the address the webhook should be sent to.')
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(f'The webhook address is longer than {MAX_URL_LENGTH} characters.')
    if any(ch.isspace() for ch in url):
        raise ValidationError('The webhook address cannot contain spaces.')
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ValidationError('The webhook address is not a valid URL.') from None
    if parts.scheme.lower() not in ('http', 'https'):
        raise ValidationError('The webhook address must start with http:// or https://.')
    if not parts.hostname:
        raise ValidationError('The webhook address needs a host name, e.g. https://hooks.example.com/…')
    if parts.username or parts.password:
        raise ValidationError('Put no user name or password in the webhook address; the secret signs it.')
    return url


def check_events(events: Iterable[str]) -> list[str]:
    chosen = [e for e in EVENTS if e in set(events)]
    unknown = set(events) - set(EVENTS)
    if unknown:
        raise ValidationError(f'There is no webhook event called {sorted(unknown)[0]!r}.')
    if not chosen:
        raise ValidationError('Choose at least one event for the webhook.')
    return chosen


# --------------------------------------------------------------------------- webhooks


def get(webhook_id: int) -> Webhook:
    row = Webhook.get_or_none(Webhook.id == webhook_id)
    if row is None:
        raise NotFound(f'Webhook {webhook_id} does not exist.')
    return row


def all_webhooks() -> list[Webhook]:
    return list(Webhook.select().order_by(Webhook.id))


def create(url: str, events: Iterable[str], *, secret_ref: str, allow_secret: bool = False) -> Webhook:
    url, chosen = check_url(url), check_events(list(events))
    with write_tx():
        return Webhook.create(
            url=url, events=json.dumps(chosen), allow_secret=bool(allow_secret), secret_ref=secret_ref
        )


def update(webhook_id: int, **changes: Any) -> Webhook:
    """Change ``url``, ``events``, ``allow_secret``, ``enabled`` or ``secret_ref`` (validated)."""
    row = get(webhook_id)
    if 'url' in changes:
        row.url = check_url(changes.pop('url'))
    if 'events' in changes:
        row.events = json.dumps(check_events(list(changes.pop('events'))))
    for name in ('allow_secret', 'enabled'):
        if name in changes:
            setattr(row, name, bool(changes.pop(name)))
    if 'secret_ref' in changes:
        row.secret_ref = changes.pop('secret_ref')
    if changes:
        raise ValidationError(f'A webhook has no setting called {sorted(changes)[0]!r}.')
    row.updated_at = utcnow()
    with write_tx():
        row.save()
    return row


def delete(webhook_id: int) -> str | None:
    """Delete the webhook with its queue and log; returns its ``secret_ref`` (for the key store)."""
    row = get(webhook_id)
    with write_tx():
        row.delete_instance()  # the queue and the log go with it (ON DELETE CASCADE)
    return row.secret_ref


def wanting(event: str) -> list[Webhook]:
    """The enabled webhooks that asked for ``event``."""
    return [w for w in Webhook.select().where(Webhook.enabled == True) if event in w.event_list]  # noqa: E712


# --------------------------------------------------------------------------- the queue


_ONCE = uuid.UUID('6f1d0c52-8a3e-4c1b-9d2f-5e7a1b3c9d40')  # the namespace of once-only delivery ids


def new_delivery_id() -> str:
    return str(uuid.uuid4())


def once_delivery_id(webhook_id: int, event: str, key: str) -> str:
    """The same id whoever queues this event of this item for this webhook (the running app as it happens,
    or its scan of what another process wrote): the second queuing is then a no-op."""
    return str(uuid.uuid5(_ONCE, f'{webhook_id}:{event}:{key}'))


def enqueue(
    webhook_id: int, event: str, payload: dict[str, Any], *, delivery_id: str | None = None
) -> str | None:
    """Queue one delivery (one insert); returns its delivery id, or None when a delivery with that id is
    already queued (or was sent). ``payload`` gets the id and event."""
    delivery_id = delivery_id or new_delivery_id()
    body = json.dumps(
        {'event': event, 'delivery_id': delivery_id, **payload}, ensure_ascii=False, separators=(',', ':')
    )
    with write_tx():
        if WebhookDelivery.select().where(WebhookDelivery.delivery_id == delivery_id).exists():
            return None
        WebhookDelivery.create(webhook=webhook_id, delivery_id=delivery_id, event=event, payload=body)
    return delivery_id


def due(now: datetime | None = None, limit: int = 20) -> list[WebhookDelivery]:
    """Pending deliveries whose time has come, oldest first (of enabled webhooks)."""
    now = now or utcnow()
    return list(
        WebhookDelivery.select()
        .join(Webhook, on=(WebhookDelivery.webhook == Webhook.id))
        .where(
            (WebhookDelivery.status == PENDING)
            & (WebhookDelivery.next_attempt_at <= now)
            & (Webhook.enabled == True)  # noqa: E712
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )


def next_due_at() -> datetime | None:
    """When the next pending delivery (of an enabled webhook) is due, or None."""
    row = (
        WebhookDelivery.select(WebhookDelivery.next_attempt_at)
        .join(Webhook, on=(WebhookDelivery.webhook == Webhook.id))
        .where((WebhookDelivery.status == PENDING) & (Webhook.enabled == True))  # noqa: E712
        .order_by(WebhookDelivery.next_attempt_at)
        .first()
    )
    return row.next_attempt_at if row is not None else None


def claim(delivery: WebhookDelivery, lease_seconds: float) -> bool:
    """Take a due delivery for one attempt: its next try moves ``lease_seconds`` ahead, so no other worker
    sends it meanwhile (and one cut off mid-request is tried again after the lease). False: another worker
    took it first, or it is no longer pending."""
    with write_tx():
        taken = (
            WebhookDelivery.update(next_attempt_at=utcnow() + timedelta(seconds=lease_seconds))
            .where(
                (WebhookDelivery.id == delivery.id)
                & (WebhookDelivery.status == PENDING)
                & (WebhookDelivery.next_attempt_at == delivery.next_attempt_at)
            )
            .execute()
        )
    return taken == 1


def record_attempt(
    delivery: WebhookDelivery,
    *,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    retry_in: float | None,
) -> WebhookDelivery:
    """Log one attempt and move the delivery on: delivered (no error), retried in ``retry_in`` seconds,
    or failed for good (``retry_in`` None)."""
    now = utcnow()
    attempt = delivery.attempts + 1
    delivery.attempts = attempt
    delivery.last_status_code = status_code
    delivery.last_error = error
    if error is None:
        delivery.status, delivery.finished_at = DELIVERED, now
    elif retry_in is None:
        delivery.status, delivery.finished_at = FAILED, now
    else:
        delivery.next_attempt_at = now + timedelta(seconds=retry_in)
    with write_tx():
        WebhookAttempt.create(
            delivery=delivery.id,
            webhook=delivery.webhook_id,
            attempt=attempt,
            status_code=status_code,
            error=error,
            attempted_at=now,
            duration_ms=duration_ms,
        )
        delivery.save()
    return delivery


def retry(delivery_row_id: int) -> WebhookDelivery:
    """Put a failed delivery back in the queue, due now (its attempts start again)."""
    row = WebhookDelivery.get_or_none(WebhookDelivery.id == delivery_row_id)
    if row is None:
        raise NotFound(f'Delivery {delivery_row_id} does not exist.')
    if row.status != FAILED:
        raise ValidationError('Only a failed delivery can be sent again.')
    with write_tx():
        row.status, row.attempts, row.next_attempt_at, row.finished_at = PENDING, 0, utcnow(), None
        row.save()
    return row


def get_delivery(delivery_id: str) -> WebhookDelivery | None:
    return WebhookDelivery.get_or_none(WebhookDelivery.delivery_id == delivery_id)


def pending_count(webhook_id: int | None = None) -> int:
    q = WebhookDelivery.select().where(WebhookDelivery.status == PENDING)
    if webhook_id is not None:
        q = q.where(WebhookDelivery.webhook == webhook_id)
    return q.count()


# --------------------------------------------------------------------------- the log


@dataclass(frozen=True)
class LogRow:
    delivery_row_id: int
    delivery_id: str
    webhook_id: int
    event: str
    status: str  # of the delivery: pending | delivered | failed
    attempts: int
    status_code: int | None
    error: str | None
    at: datetime  # the last attempt, or when it was queued
    duration_ms: int | None
    next_attempt_at: datetime | None = None  # of a pending delivery

    @property
    def retrying(self) -> bool:
        return self.status == PENDING and self.attempts > 0


def recent_deliveries(webhook_id: int | None = None, limit: int = 20) -> list[LogRow]:
    """The latest deliveries (newest first) with their last attempt: what the delivery log shows."""
    q = WebhookDelivery.select().order_by(WebhookDelivery.id.desc()).limit(limit)
    if webhook_id is not None:
        q = q.where(WebhookDelivery.webhook == webhook_id)
    deliveries = list(q)
    last: dict[int, WebhookAttempt] = {}
    if deliveries:
        # The latest attempt is the last one logged, not the highest number: Retry numbers from 1 again.
        for a in (
            WebhookAttempt.select()
            .where(WebhookAttempt.delivery.in_([d.id for d in deliveries]))
            .order_by(WebhookAttempt.id)
        ):
            last[a.delivery_id] = a
    rows = []
    for d in deliveries:
        a = last.get(d.id)
        rows.append(
            LogRow(
                delivery_row_id=d.id,
                delivery_id=d.delivery_id,
                webhook_id=d.webhook_id,
                event=d.event,
                status=d.status,
                attempts=d.attempts,
                status_code=a.status_code if a else None,
                error=a.error if a else None,
                at=a.attempted_at if a else d.created_at,
                duration_ms=a.duration_ms if a else None,
                next_attempt_at=d.next_attempt_at if d.status == PENDING else None,
            )
        )
    return rows


def last_status(webhook_ids: Iterable[int]) -> dict[int, LogRow]:
    """{webhook id: its latest delivery} for the list."""
    out: dict[int, LogRow] = {}
    for wid in webhook_ids:
        rows = recent_deliveries(wid, limit=1)
        if rows:
            out[wid] = rows[0]
    return out


def prune(now: datetime | None = None, keep_days: int = LOG_KEEP_DAYS, keep_rows: int = LOG_KEEP_ROWS) -> int:
    """Forget finished deliveries (and their log rows) older than ``keep_days``, and all but the newest
    ``keep_rows`` finished ones of each webhook; pending deliveries are always kept. Returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    finished = WebhookDelivery.status.in_([DELIVERED, FAILED])
    with write_tx():
        n = WebhookDelivery.delete().where(finished & (WebhookDelivery.finished_at < cutoff)).execute()
        for wid in [w.id for w in Webhook.select(Webhook.id)]:
            keep = (
                WebhookDelivery.select(WebhookDelivery.id)
                .where(finished & (WebhookDelivery.webhook == wid))
                .order_by(WebhookDelivery.id.desc())
                .limit(keep_rows)
            )
            n += (
                WebhookDelivery.delete()
                .where(finished & (WebhookDelivery.webhook == wid) & WebhookDelivery.id.not_in(keep))
                .execute()
            )
    return n
