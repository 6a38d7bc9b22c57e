"""Outgoing webhooks: signed deliveries to a local HTTP listener, retries with backoff, a queue that
survives a restart, Secret items kept back, administration refused to non-admins."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from app import auth
from app.data import db as dbmod
from app.data import outputs, prompts, settings_store
from app.data import webhooks as hooks
from app.data.models import SensitivityLevel
from app.errors import PermissionDenied, ValidationError
from app.services import library_events
from app.services import webhooks as service

FAST = {'backoff': (0.05, 0.05, 0.05), 'poll': 0.05, 'first_run': 0.0}


class Listener:
    """An HTTP endpoint in a thread: records each request, answers with the next of ``codes`` (then 200)."""

    def __init__(self, codes: list[int] | None = None) -> None:
        self.codes = list(codes or [])
        self.received: list[tuple[dict[str, str], bytes]] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                listener.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(listener.codes.pop(0) if listener.codes else 200)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}/hook'
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture
def workers() -> Iterator[Callable[..., service.WebhookDelivery]]:
    started: list[service.WebhookDelivery] = []

    def make(**options: object) -> service.WebhookDelivery:
        worker = service.WebhookDelivery(**{**FAST, **options})  # type: ignore[arg-type]
        worker.start()
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.stop()


def wait_for(check: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError('timed out')
        time.sleep(0.02)


def last_status(hook_id: int) -> str | None:
    rows = service.delivery_log(auth.LOCAL, hook_id)
    return rows[0].status if rows else None


def capture(title: str = 'A result', **extra: object) -> int:
    """A capture as the capture form, the REST API and MCP make it: stored, then the library is told."""
    out = outputs.capture_output(outputs.CaptureData(body=f'{title} body', title=title, **extra))  # type: ignore[arg-type]
    library_events.emit('output', [out.id])
    return out.id


def test_a_capture_is_posted_signed_with_its_delivery_id(
    db, db_path: Path, listener: Listener, workers
) -> None:
    hook_id, secret = service.add_webhook(auth.LOCAL, listener.url, ['output.captured'])
    workers()
    output_id = capture('Signed result', tags=['alpha'])
    wait_for(lambda: listener.received)
    headers, body = listener.received[0]
    expected = 'sha256=' + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers['x-outputhub-signature'], expected)
    assert headers['x-outputhub-event'] == 'output.captured'
    payload = json.loads(body)
    row = hooks.WebhookDelivery.get(hooks.WebhookDelivery.webhook == hook_id)
    assert headers['x-outputhub-delivery'] == payload['delivery_id'] == row.delivery_id
    assert payload['event'] == 'output.captured'
    assert payload['item']['id'] == output_id
    assert payload['item']['title'] == 'Signed result'
    assert payload['item']['url'].endswith(f'/outputs/{output_id}')
    assert payload['item']['tags'] == ['alpha']
    wait_for(lambda: hooks.get_delivery(row.delivery_id).status == hooks.DELIVERED)
    log = service.delivery_log(auth.LOCAL, hook_id)
    assert [(r.status, r.status_code, r.attempts) for r in log] == [('delivered', 200, 1)]
    # The secret is in the key store, never in the database file.
    dbmod.current().execute_sql('PRAGMA wal_checkpoint(TRUNCATE)')
    for path in db_path.parent.glob(db_path.name + '*'):
        assert secret.encode() not in path.read_bytes()


def test_a_capture_by_another_process_is_sent_once(db, listener: Listener, workers) -> None:
    """``outputhub capture`` and the stdio MCP server write from processes of their own: the running app's
    scan finds those outputs; one it was also told of is still sent once, and an output dated long ago
    (it came with an import of the library's export) is not a capture."""
    from datetime import timedelta

    from app.data.db import write_tx
    from app.data.models import Output, utcnow

    service.add_webhook(auth.LOCAL, listener.url, ['output.captured'])
    worker = workers()
    wait_for(lambda: settings_store.get(service.SEEN_OUTPUT_KEY) is not None and worker.running)
    elsewhere = outputs.capture_output(outputs.CaptureData(body='From the CLI', title='From the CLI')).id
    told = capture('Told and scanned')  # the signal and the scan both see this one
    with write_tx():  # stored with its old date at once, as an import stores it
        old = outputs.capture_output(outputs.CaptureData(body='Imported', title='Imported')).id
        Output.update(created_at=utcnow() - timedelta(days=90)).where(Output.id == old).execute()
    wait_for(lambda: len(listener.received) >= 2)
    time.sleep(0.6)  # a few more scans
    ids = sorted(json.loads(body)['item']['id'] for _, body in listener.received)
    assert ids == sorted([elsewhere, told])


def test_two_workers_on_one_database_send_each_capture_once(db, listener: Listener, workers) -> None:
    """Two apps started on the same file (or a worker that outlived its app) both hear and scan the same
    captures and see the same queue: each delivery is claimed by one of them, and sent once."""
    service.add_webhook(auth.LOCAL, listener.url, ['output.captured'])
    first, second = workers(), workers()
    wait_for(
        lambda: settings_store.get(service.SEEN_OUTPUT_KEY) is not None and first.running and second.running
    )
    captured = [capture(f'Result {n}') for n in range(6)]
    wait_for(lambda: len(listener.received) >= 6)
    time.sleep(0.6)
    assert sorted(json.loads(body)['item']['id'] for _, body in listener.received) == captured
    assert first.sent + second.sent == 6


def test_a_500_is_retried_after_the_backoff_and_then_delivered(db, workers) -> None:
    lst = Listener([500])
    try:
        hook_id, _ = service.add_webhook(auth.LOCAL, lst.url, ['output.captured'])
        workers(backoff=(0.2,))
        capture()
        wait_for(lambda: len(lst.received) == 2)
        # The listener has answered the second try; the worker records it just after.
        wait_for(lambda: last_status(hook_id) == hooks.DELIVERED)
        ids = {h['x-outputhub-delivery'] for h, _ in lst.received}
        assert len(ids) == 1  # the same delivery, tried twice
        attempts = list(hooks.WebhookAttempt.select().order_by(hooks.WebhookAttempt.attempt))
        assert [a.status_code for a in attempts] == [500, 200]
        assert attempts[0].error == '127.0.0.1 answered 500 Internal Server Error.'
        gap = (attempts[1].attempted_at - attempts[0].attempted_at).total_seconds()
        assert gap >= 0.2
    finally:
        lst.close()


def test_it_gives_up_after_the_last_backoff_and_retry_sends_again(db, workers) -> None:
    lst = Listener([500, 500, 503])
    try:
        hook_id, _ = service.add_webhook(auth.LOCAL, lst.url, ['output.captured'])
        worker = workers(backoff=(0.01, 0.01))
        capture()
        wait_for(lambda: last_status(hook_id) == hooks.FAILED)
        row = service.delivery_log(auth.LOCAL, hook_id)[0]
        assert (row.attempts, row.status_code, len(lst.received)) == (3, 503, 3)
        service.retry_delivery(auth.LOCAL, row.delivery_row_id, SimpleNamespace(webhooks=worker))  # type: ignore[arg-type]
        wait_for(lambda: last_status(hook_id) == hooks.DELIVERED)
        assert len(lst.received) == 4
        # The log and the webhook's last delivery show the try after Retry, not the last one before it.
        row = service.delivery_log(auth.LOCAL, hook_id)[0]
        assert (row.status, row.status_code, row.error) == ('delivered', 200, None)
        [view] = service.list_webhooks(auth.LOCAL)
        assert (view.last.status, view.last.status_code) == ('delivered', 200)
    finally:
        lst.close()


def test_nothing_is_lost_across_a_restart(db_path: Path, listener: Listener, workers) -> None:
    dbmod.connect(db_path)
    service.add_webhook(auth.LOCAL, listener.url, ['output.captured'])
    first = workers(first_run=60.0)  # running, but it has not sent anything yet
    capture('Before the restart')
    first.stop()  # the app stops: what it was told is in the queue, not lost
    assert listener.received == []
    assert hooks.pending_count() == 1
    dbmod.close()

    dbmod.connect(db_path)  # the app starts again on the same file
    workers()
    wait_for(lambda: listener.received)
    time.sleep(0.3)
    assert len(listener.received) == 1  # delivered once
    payload = json.loads(listener.received[0][1])
    assert payload['item']['title'] == 'Before the restart'
    assert hooks.get_delivery(payload['delivery_id']).status == hooks.DELIVERED


def test_a_secret_item_goes_only_to_a_webhook_allowed_it(db, workers) -> None:
    allowed, refused = Listener(), Listener()
    try:
        service.add_webhook(auth.LOCAL, allowed.url, ['output.captured'], allow_secret=True)
        service.add_webhook(auth.LOCAL, refused.url, ['output.captured'])
        workers()
        secret_level = SensitivityLevel.get(SensitivityLevel.restricted == True)  # noqa: E712
        capture('Secret plan', sensitivity_id=secret_level.id)
        capture('Open note')
        wait_for(lambda: len(allowed.received) == 2 and len(refused.received) == 1)
        time.sleep(0.2)
        titles = lambda lst: sorted(json.loads(b)['item']['title'] for _, b in lst.received)  # noqa: E731
        assert titles(allowed) == ['Open note', 'Secret plan']
        assert titles(refused) == ['Open note']
    finally:
        allowed.close()
        refused.close()


def test_only_wanted_events_are_queued_and_prompt_versions_are_found_by_the_scan(
    db, listener, workers
) -> None:
    service.add_webhook(auth.LOCAL, listener.url, ['prompt.version_saved'])
    worker = workers()
    wait_for(lambda: worker.sent == 0 and hooks.WebhookDelivery.select().count() == 0 and worker.running)
    time.sleep(0.1)  # the first scan marks where the history starts
    prompt = prompts.create_prompt('Summarise', 'Summarise this text.')
    prompts.new_version(prompt.id, 'Summarise this text in three bullets.', note='shorter')
    capture()  # an output: not asked for
    wait_for(lambda: len(listener.received) == 2)
    time.sleep(0.2)
    items = [json.loads(b)['item'] for _, b in listener.received]
    assert [(i['title'], i['version']) for i in items] == [('Summarise', 1), ('Summarise', 2)]
    assert items[1]['note'] == 'shorter'
    assert {h['x-outputhub-event'] for h, _ in listener.received} == {'prompt.version_saved'}


def test_only_versions_saved_to_the_library_are_sent(db, listener, workers) -> None:
    """A capture's prompt text is kept as an unsaved prompt (provenance, not the library): no event. Saving
    it to the library sends nothing for the versions it already had; a version saved afterwards is sent."""
    service.add_webhook(auth.LOCAL, listener.url, ['prompt.version_saved'])
    worker = workers()
    wait_for(lambda: settings_store.get(service.SEEN_VERSION_KEY) is not None and worker.running)
    out = outputs.capture_output(outputs.CaptureData(body='The answer', prompt='Explain WAL mode.'))
    from_capture = out.prompt_version.prompt_id
    assert not prompts.get_prompt(from_capture).saved
    prompts.create_prompt('Library prompt', 'Summarise this text.')
    wait_for(lambda: listener.received)
    time.sleep(0.3)  # a few more scans
    assert [json.loads(b)['item']['title'] for _, b in listener.received] == ['Library prompt']
    prompts.save_to_library(from_capture)
    time.sleep(0.3)
    assert len(listener.received) == 1  # its first version came with the capture, not saved by someone
    prompts.new_version(from_capture, 'Explain WAL mode in two sentences.')
    wait_for(lambda: len(listener.received) == 2)
    time.sleep(0.3)
    item = json.loads(listener.received[1][1])['item']
    assert (item['id'], item['version'], len(listener.received)) == (from_capture, 2, 2)


def test_prompt_versions_dated_long_ago_came_with_an_import_and_are_not_sent(db, listener, workers) -> None:
    """Importing a library export stores each prompt version with its original date: not a version saved
    now, so no prompt.version_saved flood (as outputs dated more than an hour back are not captures)."""
    from datetime import timedelta

    from app.data.models import utcnow

    service.add_webhook(auth.LOCAL, listener.url, ['prompt.version_saved'])
    worker = workers()
    wait_for(lambda: settings_store.get(service.SEEN_VERSION_KEY) is not None and worker.running)
    for n in range(3):
        prompts.create_prompt(f'Imported {n}', f'Old text {n}', created_at=utcnow() - timedelta(days=90))
    prompts.create_prompt('Written now', 'New text')
    wait_for(lambda: listener.received)
    time.sleep(0.3)
    assert [json.loads(b)['item']['title'] for _, b in listener.received] == ['Written now']


def test_a_finished_chat_reply_is_the_conversation_finished_event(db, listener, workers) -> None:
    from app.data import conversations

    service.add_webhook(auth.LOCAL, listener.url, ['conversation.finished'])
    workers()
    conv = conversations.create_from_turns('Chat about tea', [('user', 'Tea?'), ('assistant', 'Yes.')])
    library_events.emit('conversation', [conv.id], 'created')  # pasted: not asked for
    library_events.emit('conversation', [conv.id], 'finished')  # as ChatReply says when a reply is stored
    wait_for(lambda: listener.received)
    time.sleep(0.2)
    assert len(listener.received) == 1
    assert json.loads(listener.received[0][1])['item']['title'] == 'Chat about tea'


def test_telling_the_worker_never_touches_the_database(db, db_path: Path, listener) -> None:
    """A capture on the event loop only hands the change over: even with the write lock held elsewhere
    (a long import), it returns at once."""
    service.add_webhook(auth.LOCAL, listener.url, ['output.captured'])
    worker = service.WebhookDelivery(**FAST)  # type: ignore[arg-type]
    output_id = outputs.capture_output(outputs.CaptureData(body='Stored', title='Stored')).id
    blocker = sqlite3.connect(db_path, timeout=0)
    blocker.execute('BEGIN IMMEDIATE')
    try:
        started = time.monotonic()
        worker.on_change(library_events.Change('output', (output_id,), 'created'))
        assert time.monotonic() - started < 0.05
    finally:
        blocker.rollback()
        blocker.close()
    assert worker.take_in() == 1  # the worker queues it once the lock is free


def test_administration_is_refused_to_a_non_admin(db, listener) -> None:
    hook_id, _ = service.add_webhook(auth.LOCAL, listener.url, ['output.captured'])
    token = auth.Principal('token', scope='write', allow_restricted=True)
    admin_device = auth.Principal('device', device_id=1, admin=True)  # administers, but not webhooks
    for who in (token, admin_device):
        for call in (
            lambda who=who: service.list_webhooks(who),
            lambda who=who: service.add_webhook(who, listener.url, ['output.captured']),
            lambda who=who: service.update_webhook(who, hook_id, enabled=False),
            lambda who=who: service.send_test(who, hook_id),
            lambda who=who: service.delete_webhook(who, hook_id),
            lambda who=who: service.delivery_log(who),
            lambda who=who: service.renew_secret(who, hook_id),
        ):
            with pytest.raises(
                PermissionDenied, match='Only the computer running Output Hub itself can manage webhooks'
            ):
                call()
    assert hooks.get(hook_id).enabled


@pytest.mark.parametrize(
    ('url', 'sentence'),
    [
        ('', 'Enter the address'),
        ('ftp://example.com/x', 'must start with http:// or https://'),
        ('file:///etc/passwd', 'must start with http:// or https://'),
        ('https://', 'needs a host name'),
        ('https://user:pw@example.com/', 'no user name or password'),
        ('https://exa mple.com/', 'cannot contain spaces'),
        ('http://example.com:99999/', 'not a valid URL'),
    ],
)
def test_a_bad_address_is_one_clear_sentence(db, url: str, sentence: str) -> None:
    with pytest.raises(ValidationError, match=sentence):
        service.add_webhook(auth.LOCAL, url, ['output.captured'])
    assert hooks.all_webhooks() == []


def test_deleting_a_webhook_forgets_its_secret_and_the_log_is_pruned(db, listener) -> None:
    from datetime import timedelta

    from app.data.models import utcnow
    from app.llm import keys

    hook_id, secret = service.add_webhook(auth.LOCAL, listener.url, ['output.captured'])
    ref = hooks.get(hook_id).secret_ref
    assert keys.get_secret(ref) == secret
    did = service.send_test(auth.LOCAL, hook_id)
    row = hooks.get_delivery(did)
    hooks.record_attempt(row, status_code=200, error=None, duration_ms=5, retry_in=None)
    assert hooks.prune(now=utcnow() + timedelta(days=hooks.LOG_KEEP_DAYS + 1)) == 1
    assert hooks.WebhookAttempt.select().count() == 0
    service.delete_webhook(auth.LOCAL, hook_id)
    assert keys.get_secret(ref) is None


async def test_a_chat_reply_that_finishes_sends_conversation_finished(db, listener, workers) -> None:
    from app.services import chat
    from tests.llm.fake_llm_server import FakeLLMServer, point_providers_at

    with FakeLLMServer() as server:
        env = point_providers_at(server)
        service.add_webhook(auth.LOCAL, listener.url, ['conversation.finished'])
        workers()
        result = await (await chat.send_message('Tell me about WAL mode', model=env['openai_model'])).wait()
        assert result.status == 'complete'
        wait_for(lambda: listener.received)
    headers, body = listener.received[0]
    assert headers['x-outputhub-event'] == 'conversation.finished'
    assert json.loads(body)['item']['id'] == result.conversation_id


def test_a_finished_import_is_one_conversation_imported_event(db, listener, workers) -> None:
    from app.data.models import ImportRun, utcnow

    service.add_webhook(auth.LOCAL, listener.url, ['conversation.imported'])
    worker = workers()
    wait_for(lambda: settings_store.get(service.SEEN_IMPORT_KEY) is not None and worker.running)
    ImportRun.create(
        format='chatgpt',
        filename='/home/me/Downloads/chatgpt-export.zip',
        status='done',
        finished_at=utcnow(),
        conversations_added=12,
        messages_added=340,
    )
    ImportRun.create(format='claude', filename='dry.zip', status='done', dry_run=True, finished_at=utcnow())
    wait_for(lambda: listener.received)
    time.sleep(0.3)
    assert len(listener.received) == 1
    item = json.loads(listener.received[0][1])['item']
    assert (item['kind'], item['title'], item['conversations_added']) == ('import', 'chatgpt-export.zip', 12)


def test_a_long_import_that_finishes_after_a_later_one_is_still_sent(db, listener, workers) -> None:
    """A run's id is taken when it starts: a long upload started first and finished after a short one
    that started later is still sent (and each run once)."""
    from datetime import timedelta

    from app.data.models import ImportRun, utcnow

    service.add_webhook(auth.LOCAL, listener.url, ['conversation.imported'])
    worker = workers()
    wait_for(lambda: settings_store.get(service.SEEN_IMPORT_KEY) is not None and worker.running)
    long_run = ImportRun.create(format='chatgpt', filename='big-export.zip', status='running')
    ImportRun.create(
        format='claude', filename='small.zip', status='done', finished_at=utcnow(), conversations_added=1
    )
    wait_for(lambda: listener.received)
    time.sleep(0.2)
    ImportRun.update(status='done', finished_at=utcnow(), conversations_added=40).where(
        ImportRun.id == long_run.id
    ).execute()
    wait_for(lambda: len(listener.received) >= 2)
    # A run written late (its finish time taken before it waited for the database behind the others).
    ImportRun.create(
        format='claude',
        filename='late.zip',
        status='done',
        finished_at=utcnow() - timedelta(minutes=2),
        conversations_added=1,
    )
    wait_for(lambda: len(listener.received) >= 3)
    time.sleep(0.3)
    titles = [json.loads(b)['item']['title'] for _, b in listener.received]
    assert titles == ['small.zip', 'big-export.zip', 'late.zip']


def test_a_watched_session_that_grows_is_sent_once(db, listener, workers) -> None:
    """Passes of the session watcher add up in one run of the history; the run finishing again as the
    session grows is not another conversation.imported."""
    from app.data import import_history
    from app.data.importers.base import ImportReport

    def one_pass(added: int = 0, updated: int = 0) -> int | None:
        report = ImportReport(format='claude_code', conversations_added=added, conversations_updated=updated)
        report.messages_added, report.conversation_ids = 5, [1]
        return import_history.record_watch_pass('claude_code', 'Claude Code', report)

    service.add_webhook(auth.LOCAL, listener.url, ['conversation.imported'])
    worker = workers()
    wait_for(lambda: settings_store.get(service.SEEN_IMPORT_KEY) is not None and worker.running)
    run_id = one_pass(added=1)
    wait_for(lambda: listener.received)
    for _ in range(3):
        time.sleep(0.3)  # a few scans apart, as passes are
        assert one_pass(updated=1) == run_id
    time.sleep(0.6)
    assert len(listener.received) == 1
    item = json.loads(listener.received[0][1])['item']
    assert (item['id'], item['title']) == (run_id, 'Claude Code sessions (watch)')
    # Its delivery pruned from the log (old, or the webhook's 1000 newest are others), it is still not
    # sent again when the session grows.
    from datetime import timedelta

    from app.data.models import utcnow

    assert hooks.prune(now=utcnow() + timedelta(days=hooks.LOG_KEEP_DAYS + 1)) == 1
    assert one_pass(updated=1) == run_id
    time.sleep(0.6)
    assert len(listener.received) == 1


def test_a_webhook_switched_off_gets_nothing_until_it_is_on(db, listener, workers) -> None:
    hook_id, _ = service.add_webhook(auth.LOCAL, listener.url, ['output.captured'])
    service.send_test(auth.LOCAL, hook_id)
    service.update_webhook(auth.LOCAL, hook_id, enabled=False)
    workers()
    capture('While off')
    time.sleep(0.4)
    assert listener.received == []
    assert hooks.pending_count(hook_id) == 1  # the test event waits; the capture was not queued
    service.update_webhook(auth.LOCAL, hook_id, enabled=True)
    wait_for(lambda: listener.received)
    assert [h['x-outputhub-event'] for h, _ in listener.received] == ['test']
