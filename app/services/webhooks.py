"""Outgoing webhooks (Settings → Integrations → Webhooks): what happens in the library is queued in the
database and POSTed as signed JSON by one worker thread, off the event loop, with retries and backoff.

Where events come from:

* **The library-change signal** (``library_events``) for what the running app itself does: an output
  captured (capture form, quick capture, REST API, MCP), a conversation pasted in the capture form, a
  chat reply finished. The listener only puts the change on an in-memory queue and wakes the worker
  (no database, no network on the event loop, so a capture is never slowed); the worker builds the
  payload and writes one queue row per webhook. ``stop()`` writes whatever is still waiting.
* **A scan of the database** for what the signal is not told about, or what another process did
  (``outputhub prompt add``, ``outputhub import``): prompt versions by id, finished import runs by
  finish time (and the runs sent), each with a watermark kept in the database in the same transaction
  as the queue rows it produced, so a version or an import is queued exactly once even across a crash.

Delivery: ``POST`` with ``X-OutputHub-Signature: sha256=<hex HMAC-SHA256 of the raw body>``,
``X-OutputHub-Delivery`` (a UUID, the same on every retry: receivers can drop duplicates) and
``X-OutputHub-Event``; a 2xx answer is delivered, anything else is retried after 30 s, 2 min, 10 min,
1 h and 6 h, then marked failed. The queue is in the database, so what was not delivered before a
restart is sent after it (a delivery cut off mid-request may arrive twice, with the same id).

Secret items (a restricted sensitivity level) are never queued for a webhook that is not allowed them.
The signing secret lives in the key store (``app.llm.keys``), never in the database, an export or a
log line. Administering webhooks is refused to anyone but this computer itself (``roles.require_this_computer``):
an administrator device included, since a webhook sends the library to any address.
``OUTPUTHUB_WEBHOOKS=0`` keeps the worker from starting.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import queue
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import config
from ..data import db as dbmod
from ..data import import_history, kinds, sensitivity, settings_store
from ..data import webhooks as hooks
from ..data.db import write_tx
from ..data.models import Conversation, ImportRun, Output, Prompt, PromptVersion, utcnow
from ..errors import ValidationError
from ..llm import keys
from ..roles import require_this_computer
from . import library_events
from .library_events import Change

if TYPE_CHECKING:
    from ..context import AppContext

log = logging.getLogger(__name__)

ENV_SWITCH = 'OUTPUTHUB_WEBHOOKS'
BACKOFF: tuple[float, ...] = (30.0, 120.0, 600.0, 3600.0, 21600.0)  # then the delivery has failed
TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 5.0  # the database scan (prompt versions, imports) and the longest sleep
FIRST_RUN_SECONDS = 1.0  # the first delivery after start-up waits this long (the app comes up first)
PRUNE_EVERY_SECONDS = 3600.0
SECRET_PREFIX = 'whsec_'
USER_AGENT = 'OutputHub-Webhooks/1'
MAX_ERROR_LENGTH = 300

SEEN_VERSION_KEY = 'webhooks.seen_prompt_version'
SEEN_OUTPUT_KEY = 'webhooks.seen_output'
LEASE_MARGIN_SECONDS = 5.0  # a claimed delivery is tried again this long after the request's timeout
CAPTURE_RECENT = timedelta(hours=1)  # an output or prompt version dated further back came with an import
SEEN_IMPORT_KEY = 'webhooks.seen_import_finished'
# The ids of import runs sent that may still finish again: a session-watch run that grows (passes add up in
# one run, see import_history.record_watch_pass) finishes again but is not sent again.
SENT_IMPORTS_KEY = 'webhooks.sent_imports'
# Runs that finished this long before the last one seen are looked at again: a run's finish time is taken
# just before it is written, and a writer may wait for the database that long behind a later one.
IMPORT_MARGIN = timedelta(minutes=10)

# (kind, action) of a library change → the webhook event it is.
BUS_EVENTS: dict[tuple[str, str], str] = {
    ('output', 'created'): 'output.captured',
    ('conversation', 'created'): 'conversation.imported',  # pasted in the capture form
    ('conversation', 'finished'): 'conversation.finished',  # a chat reply finished
}


# --------------------------------------------------------------------------- signing


def signature(secret: str, body: bytes) -> str:
    """The ``X-OutputHub-Signature`` value of ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return 'sha256=' + hmac.new(secret.encode('utf-8'), body, hashlib.sha256).hexdigest()


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


# --------------------------------------------------------------------------- payloads


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec='seconds') + 'Z' if value is not None else None


def _item_url(base_url: str, kind: str, item_id: int) -> str:
    return base_url.rstrip('/') + kinds.item(kind).url(item_id)


def _output_item(output_id: int, base_url: str) -> tuple[dict[str, Any], int | None] | None:
    out = Output.get_or_none((Output.id == output_id) & Output.deleted_at.is_null())
    if out is None:
        return None
    from ..data.models import OutputTag, Tag

    tags = [
        t.name
        for t in Tag.select(Tag.name)
        .join(OutputTag, on=(OutputTag.tag == Tag.id))
        .where(OutputTag.output == out.id)
    ]
    item = {
        'kind': 'output',
        'id': out.id,
        'title': out.title,
        'url': _item_url(base_url, 'output', out.id),
        'created_at': _iso(out.created_at),
        'model': out.model.name if out.model_id else None,
        'tags': sorted(tags),
        'source_url': out.source_url,
        'conversation_id': out.conversation_id,
    }
    return item, out.sensitivity_id


def _conversation_item(conversation_id: int, base_url: str) -> tuple[dict[str, Any], int | None] | None:
    conv = Conversation.get_or_none((Conversation.id == conversation_id) & Conversation.deleted_at.is_null())
    if conv is None:
        return None
    item = {
        'kind': 'conversation',
        'id': conv.id,
        'title': conv.title,
        'url': _item_url(base_url, 'conversation', conv.id),
        'created_at': _iso(conv.created_at),
        'updated_at': _iso(conv.updated_at),
        'message_count': conv.message_count,
        'model': conv.model.name if conv.model_id else None,
        'source': conv.source.name if conv.source_id else None,
    }
    return item, conv.sensitivity_id


def _prompt_version_item(version: PromptVersion, base_url: str) -> tuple[dict[str, Any], int | None] | None:
    """None for a version of a prompt in the trash or not saved to the library: a capture's or a chat
    question's prompt text is kept as an unsaved prompt (its provenance), which nobody saved a version of."""
    prompt = Prompt.get_or_none(
        (Prompt.id == version.prompt_id) & Prompt.deleted_at.is_null() & (Prompt.saved == True)  # noqa: E712
    )
    if prompt is None:
        return None
    item = {
        'kind': 'prompt',
        'id': prompt.id,
        'title': prompt.title,
        'url': _item_url(base_url, 'prompt', prompt.id),
        'version': version.number,
        'version_id': version.id,
        'note': version.note,
        'created_at': _iso(version.created_at),
    }
    return item, prompt.sensitivity_id


def _import_item(run: ImportRun, base_url: str) -> dict[str, Any]:
    name = (run.filename or '').replace('\\', '/').rstrip('/').rsplit('/', 1)[-1]
    return {
        'kind': 'import',
        'id': run.id,
        'title': name or 'Import',
        'url': base_url.rstrip('/') + '/settings?tab=import',
        'format': run.format,
        'conversations_added': run.conversations_added,
        'conversations_updated': run.conversations_updated,
        'messages_added': run.messages_added,
        'finished_at': _iso(run.finished_at),
    }


def _fan_out(event: str, item: dict[str, Any], sensitivity_id: int | None, *, once: str | None = None) -> int:
    """Queue ``item`` for every enabled webhook that wants ``event`` (and may see it): one insert each.
    With ``once`` (an item's key) each webhook gets it at most once, however many times it is queued."""
    secret_item = sensitivity_id is not None and sensitivity_id in sensitivity.restricted_level_ids()  # now
    n = 0
    for hook in hooks.wanting(event):
        if secret_item and not hook.allow_secret:
            continue  # a Secret item is never sent to a webhook not allowed it
        delivery_id = hooks.once_delivery_id(hook.id, event, once) if once else None
        if hooks.enqueue(
            hook.id, event, {'occurred_at': _iso(utcnow()), 'item': item}, delivery_id=delivery_id
        ):
            n += 1
    return n


# --------------------------------------------------------------------------- the worker


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    error: str | None  # one sentence; None when delivered
    duration_ms: int


class WebhookDelivery:
    """The intake of library changes, the database scan and the one thread that sends the queue."""

    def __init__(
        self,
        *,
        base_url: str = 'http://127.0.0.1:8080',
        backoff: Sequence[float] = BACKOFF,
        timeout: float = TIMEOUT_SECONDS,
        poll: float = POLL_SECONDS,
        first_run: float = FIRST_RUN_SECONDS,
    ) -> None:
        self.base_url = base_url
        self.backoff = tuple(backoff)
        self.timeout = timeout
        self.poll = poll
        self.first_run = first_run
        self._intake: queue.SimpleQueue[Change] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Any = None
        self._lock = threading.Lock()  # one writer of the intake into the database at a time
        self._last_prune = 0.0
        self.sent = 0  # attempts made since start (tests, the log)

    # -- lifecycle

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        if self._unsubscribe is None:
            self._unsubscribe = library_events.subscribe(self.on_change)
        self._thread = threading.Thread(target=self._run, name='outputhub-webhooks', daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop listening and sending; what the intake still holds is written to the queue (sent after
        the next start). A request in flight is left to its timeout: it is retried then."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        with contextlib.suppress(Exception):  # the database already closed: nothing can be kept then
            self.take_in()

    def wake(self) -> None:
        self._wake.set()

    # -- intake (any thread, the event loop included: no database, no network)

    def on_change(self, change: Change) -> None:
        if (change.kind, change.action) in BUS_EVENTS:
            self._intake.put(change)
            self._wake.set()

    def take_in(self) -> int:
        """Write the waiting changes as queue rows (the worker, or ``stop``); returns how many rows."""
        n = 0
        with self._lock:
            while True:
                try:
                    change = self._intake.get_nowait()
                except queue.Empty:
                    return n
                try:
                    n += self._queue_change(change)
                except Exception:  # one bad change must not keep the others from being queued
                    log.warning(
                        'A webhook event for %s %s was not queued', change.kind, change.ids, exc_info=True
                    )

    def _queue_change(self, change: Change) -> int:
        event = BUS_EVENTS[(change.kind, change.action)]
        if not hooks.wanting(event):
            return 0
        build = _output_item if change.kind == 'output' else _conversation_item
        n = 0
        with write_tx():
            for item_id in change.ids:
                built = build(item_id, self.base_url)
                if built is not None:
                    once = (
                        f'output:{item_id}' if event == 'output.captured' else None
                    )  # the scan may see it too
                    n += _fan_out(event, *built, once=once)
        return n

    # -- the database scan (prompt versions, finished imports)

    def scan(self) -> int:
        """Queue outputs, prompt versions and finished imports not seen yet; returns how many rows were queued."""
        return self._scan_outputs() + self._scan_versions() + self._scan_imports()

    def _scan_outputs(self) -> int:
        """Outputs another process captured (``outputhub capture``, the stdio MCP server an assistant
        starts), which the change signal of this process never hears of: by id, each at most once per
        webhook (the same delivery id as the signal's). Outputs dated more than an hour back came with an
        import of the library's own export, not a capture: they are not sent."""
        seen = settings_store.get(SEEN_OUTPUT_KEY)
        if seen is None:  # the first run on this database: from now on, not the whole library
            latest = Output.select(Output.id).order_by(Output.id.desc()).first()
            settings_store.put(SEEN_OUTPUT_KEY, latest.id if latest else 0)
            return 0
        new = list(
            Output.select(Output.id, Output.created_at)
            .where(Output.id > int(seen))
            .order_by(Output.id)
            .limit(200)
        )
        if not new:
            return 0
        recent = utcnow() - CAPTURE_RECENT
        n = 0
        with write_tx():
            if hooks.wanting('output.captured'):
                for out in new:
                    if out.created_at is None or out.created_at < recent:
                        continue
                    built = _output_item(out.id, self.base_url)
                    if built is not None:
                        n += _fan_out('output.captured', *built, once=f'output:{out.id}')
            settings_store.put(SEEN_OUTPUT_KEY, new[-1].id)
        return n

    def _scan_versions(self) -> int:
        """Versions of prompts in the library, by id, each once. Versions of unsaved prompts (a capture's
        prompt text) are passed over for good: saving such a prompt to the library later sends only the
        versions saved after it. Versions dated more than an hour back came with an import of the
        library's export (it keeps their dates), not an edit: they are not sent either."""
        seen = settings_store.get(SEEN_VERSION_KEY)
        if seen is None:  # the first run on this database: from now on, not the whole history
            latest = PromptVersion.select(PromptVersion.id).order_by(PromptVersion.id.desc()).first()
            settings_store.put(SEEN_VERSION_KEY, latest.id if latest else 0)
            return 0
        new = list(
            PromptVersion.select().where(PromptVersion.id > int(seen)).order_by(PromptVersion.id).limit(200)
        )
        if not new:
            return 0
        recent = utcnow() - CAPTURE_RECENT
        n = 0
        with write_tx():
            if hooks.wanting('prompt.version_saved'):
                for version in new:
                    if version.created_at is None or version.created_at < recent:
                        continue
                    built = _prompt_version_item(version, self.base_url)
                    if built is not None:
                        n += _fan_out('prompt.version_saved', *built)
            settings_store.put(SEEN_VERSION_KEY, new[-1].id)
        return n

    def _scan_imports(self) -> int:
        """Finished imports (not dry runs) that brought something in, each sent once, whatever order they
        finished in: a run's id is taken when it starts, so a long upload finishes after a shorter one
        started later. Looked for by finish time, from the last one seen less ``IMPORT_MARGIN``; the runs
        sent are remembered while they may come back (a growing watch run), and each has a once-only
        delivery id (two workers on one file send it once)."""
        seen = settings_store.get(SEEN_IMPORT_KEY)
        if seen is None:
            settings_store.put(SEEN_IMPORT_KEY, utcnow().isoformat(sep=' '))
            return 0
        since = datetime.fromisoformat(str(seen))
        runs = list(
            ImportRun.select()
            .where(
                (ImportRun.finished_at > since - IMPORT_MARGIN)
                & (ImportRun.status == 'done')
                & (ImportRun.dry_run == False)  # noqa: E712
            )
            .order_by(ImportRun.finished_at)
            .limit(200)
        )
        sent = {int(i) for i in settings_store.get(SENT_IMPORTS_KEY) or []}
        new = [r for r in runs if r.id not in sent and (r.conversations_added or r.conversations_updated)]
        latest = max(since, runs[-1].finished_at) if runs else since
        if not new and latest == since:
            return 0  # nothing written: the scan runs every few seconds
        n = 0
        with write_tx():
            for run in new:
                n += _fan_out(
                    'conversation.imported', _import_item(run, self.base_url), None, once=f'import:{run.id}'
                )
            sent |= {run.id for run in new}
            # A run is forgotten once it can no longer come back into the scan: a watch run grows only
            # within WATCH_WINDOW of its last pass.
            cutoff = latest - IMPORT_MARGIN - import_history.WATCH_WINDOW
            keep = ImportRun.select(ImportRun.id).where(
                ImportRun.id.in_(sorted(sent)) & (ImportRun.finished_at > cutoff)
            )
            settings_store.put(SENT_IMPORTS_KEY, sorted(r.id for r in keep) if sent else [])
            settings_store.put(SEEN_IMPORT_KEY, latest.isoformat(sep=' '))
        return n

    # -- sending

    def retry_in(self, attempts: int) -> float | None:
        """Seconds before the next try after ``attempts`` failed ones; None: give up."""
        return self.backoff[attempts - 1] if 1 <= attempts <= len(self.backoff) else None

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        import httpx

        started = time.monotonic()
        host = urlsplit(url).hostname or 'the endpoint'
        try:
            with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
                response = client.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            error = f'{host} did not answer within {self.timeout:g} seconds.'
            return SendResult(None, error, _ms(started))
        except httpx.HTTPError as exc:
            return SendResult(None, f'Could not reach {host} ({type(exc).__name__}).', _ms(started))
        code = response.status_code
        if 200 <= code < 300:
            return SendResult(code, None, _ms(started))
        reason = (response.reason_phrase or '').strip()
        return SendResult(code, f'{host} answered {code}{" " + reason if reason else ""}.', _ms(started))

    def deliver(self, delivery: hooks.WebhookDelivery) -> hooks.WebhookDelivery:
        """One attempt at one queued delivery, logged; the delivery moves on (delivered, later, failed)."""
        hook = hooks.Webhook.get_or_none(hooks.Webhook.id == delivery.webhook_id)
        if hook is None:
            return delivery
        secret = keys.get_secret(hook.secret_ref)
        body = delivery.payload.encode('utf-8')
        if not secret:
            result = SendResult(
                None, 'The signing secret is missing from the key store: make a new secret.', 0
            )
        else:
            headers = {
                'Content-Type': 'application/json',
                'User-Agent': USER_AGENT,
                'X-OutputHub-Event': delivery.event,
                'X-OutputHub-Delivery': delivery.delivery_id,
                'X-OutputHub-Signature': signature(secret, body),
            }
            result = self.post(hook.url, body, headers)
        self.sent += 1
        error = result.error[:MAX_ERROR_LENGTH] if result.error else None
        retry_in = None if error is None else self.retry_in(delivery.attempts + 1)
        if error is not None:
            log.info(
                'Webhook %s delivery %s: %s%s',
                hook.id,
                delivery.delivery_id,
                error,
                f' (again in {retry_in:g} s)' if retry_in is not None else ' (given up)',
            )
        return hooks.record_attempt(
            delivery,
            status_code=result.status_code,
            error=error,
            duration_ms=result.duration_ms,
            retry_in=retry_in,
        )

    def deliver_due(self) -> int:
        n = 0
        while not self._stop.is_set():
            batch = hooks.due()
            if not batch:
                return n
            for delivery in batch:
                if self._stop.is_set():
                    return n
                if not hooks.claim(delivery, self.timeout + LEASE_MARGIN_SECONDS):
                    continue  # another worker (an app started on the same file) has it
                self.deliver(delivery)
                n += 1
        return n

    def _seconds_to_next(self) -> float:
        at = hooks.next_due_at()
        if at is None:
            return self.poll
        return max(0.0, min(self.poll, (at - utcnow()).total_seconds()))

    def _run(self) -> None:
        try:
            if self._stop.wait(self.first_run):
                return
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    self.take_in()
                    self.scan()
                    self.deliver_due()
                    if time.monotonic() - self._last_prune > PRUNE_EVERY_SECONDS:
                        self._last_prune = time.monotonic()
                        hooks.prune()
                    wait = self._seconds_to_next()
                except Exception:  # never takes the app down; try again shortly
                    log.warning('Webhook delivery ran into an error', exc_info=True)
                    wait = self.poll
                self._wake.wait(wait)
        finally:
            with contextlib.suppress(Exception):  # nothing open, or the app already closed the database
                dbmod.close()  # this thread's connection only


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


# --------------------------------------------------------------------------- administration (use-cases)


@dataclass(frozen=True)
class WebhookView:
    id: int
    url: str
    events: list[str]
    allow_secret: bool
    enabled: bool
    last: hooks.LogRow | None
    pending: int

    @property
    def event_labels(self) -> list[str]:
        return [hooks.EVENTS[e] for e in self.events]


_ADMIN = 'manage webhooks'


def list_webhooks(principal: Any) -> list[WebhookView]:
    require_this_computer(principal, _ADMIN)
    rows = hooks.all_webhooks()
    last = hooks.last_status([w.id for w in rows])
    return [
        WebhookView(
            w.id, w.url, w.event_list, w.allow_secret, w.enabled, last.get(w.id), hooks.pending_count(w.id)
        )
        for w in rows
    ]


def add_webhook(
    principal: Any, url: str, events: Iterable[str], *, allow_secret: bool = False
) -> tuple[int, str]:
    """Create a webhook with a new signing secret; returns (id, secret) — the only time it is shown."""
    require_this_computer(principal, _ADMIN)
    url, chosen = hooks.check_url(url), hooks.check_events(list(events))
    secret, ref = new_secret(), keys.new_key_ref('webhook')
    keys.set_secret(ref, secret)
    try:
        row = hooks.create(url, chosen, secret_ref=ref, allow_secret=allow_secret)
    except BaseException:
        keys.delete_secret(ref)
        raise
    return row.id, secret


def update_webhook(principal: Any, webhook_id: int, **changes: Any) -> None:
    """Change ``url``, ``events``, ``allow_secret`` or ``enabled``."""
    require_this_computer(principal, _ADMIN)
    if 'secret_ref' in changes:
        raise ValidationError('The secret is changed with a new secret, not set.')
    hooks.update(webhook_id, **changes)


def renew_secret(principal: Any, webhook_id: int) -> str:
    """A new signing secret for the webhook (the old one stops working); returns it, shown once."""
    require_this_computer(principal, _ADMIN)
    hook = hooks.get(webhook_id)
    secret, ref = new_secret(), keys.new_key_ref('webhook')
    keys.set_secret(ref, secret)
    hooks.update(webhook_id, secret_ref=ref)
    keys.delete_secret(hook.secret_ref)
    return secret


def delete_webhook(principal: Any, webhook_id: int) -> None:
    require_this_computer(principal, _ADMIN)
    keys.delete_secret(hooks.delete(webhook_id))


def send_test(principal: Any, webhook_id: int, ctx: AppContext | None = None) -> str:
    """Queue a ``test`` event for this webhook (whatever events it asked for); returns its delivery id."""
    require_this_computer(principal, _ADMIN)
    hook = hooks.get(webhook_id)
    base = ctx.webhooks.base_url if ctx is not None and ctx.webhooks is not None else ''
    delivery_id = hooks.enqueue(
        hook.id,
        hooks.TEST_EVENT,
        {
            'occurred_at': _iso(utcnow()),
            'item': {'kind': 'test', 'title': 'Test event from Output Hub', 'url': base or None},
        },
    )
    if ctx is not None and ctx.webhooks is not None:
        ctx.webhooks.wake()
    assert delivery_id is not None  # a new random id is never taken
    return delivery_id


def retry_delivery(principal: Any, delivery_row_id: int, ctx: AppContext | None = None) -> None:
    require_this_computer(principal, _ADMIN)
    hooks.retry(delivery_row_id)
    if ctx is not None and ctx.webhooks is not None:
        ctx.webhooks.wake()


def delivery_log(principal: Any, webhook_id: int | None = None, limit: int = 20) -> list[hooks.LogRow]:
    require_this_computer(principal, _ADMIN)
    return hooks.recent_deliveries(webhook_id, limit)


def delivery_status(principal: Any, delivery_id: str) -> hooks.WebhookDelivery | None:
    require_this_computer(principal, _ADMIN)
    return hooks.get_delivery(delivery_id)


# --------------------------------------------------------------------------- the app's service


def start(ctx: AppContext) -> None:
    if not config.env_flag(ENV_SWITCH, True):
        ctx.webhooks = None
        return
    from .. import lan

    s = ctx.settings
    worker = WebhookDelivery(base_url=lan.local_url(s.host, s.port, https=s.https))
    ctx.webhooks = worker
    worker.start()


def stop(ctx: AppContext) -> None:
    worker = ctx.webhooks
    if isinstance(worker, WebhookDelivery):
        worker.stop()
        ctx.webhooks = None
