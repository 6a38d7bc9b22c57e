"""Settings → Integrations → Webhooks: a webhook is listed with its events, and Send test event is
delivered to a local listener and shows up in the delivery log."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from nicegui.testing import User

from app import auth
from app.services import webhooks as service


@pytest.fixture(autouse=True)
def webhook_worker(monkeypatch) -> None:
    """The app's delivery worker runs here (tests/conftest.py keeps it off elsewhere)."""
    monkeypatch.setenv('OUTPUTHUB_WEBHOOKS', '1')


@pytest.fixture
def endpoint() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers['Content-Length']))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{server.server_address[1]}/catch', received
    server.shutdown()
    server.server_close()


async def test_a_webhook_is_listed_and_its_test_event_reaches_the_log(user: User, endpoint) -> None:
    url, received = endpoint
    hook_id, _ = service.add_webhook(auth.LOCAL, url, ['output.captured', 'prompt.version_saved'])
    await user.open('/settings?tab=integrations')
    await user.should_see(url)
    await user.should_see('Output captured')
    await user.should_see('Prompt version saved')
    await user.should_see('No deliveries yet')
    await user.should_see('Nothing sent yet.')
    user.find(marker=f'webhook-test-{hook_id}').click()
    await user.should_see('Test event delivered (HTTP 204)', retries=100)
    assert [r['event'] for r in received] == ['test']
    await user.should_see(marker='webhook-log-row')
    await user.should_see('test · HTTP 204 · 1 attempt · just now', retries=50)
    await user.should_see(received[0]['delivery_id'])


async def test_adding_a_webhook_shows_its_secret_once_and_a_bad_url_is_one_sentence(user: User) -> None:
    await user.open('/settings?tab=integrations')
    await user.should_see('No webhooks yet.')
    user.find(marker='webhook-add').click()
    await user.should_see(marker='webhook-url-input')
    user.find(marker='webhook-url-input').type('ftp://example.com/hook')
    user.find(marker='webhook-save').click()
    await user.should_see('The webhook address must start with http:// or https://.')
    assert service.list_webhooks(auth.LOCAL) == []
    user.find(marker='webhook-url-input').clear().type('https://hooks.example.com/catch/1')  # same dialog
    user.find(marker='webhook-allow-secret').click()
    user.find(marker='webhook-save').click()
    await user.should_see('The signing secret', retries=20)
    secret = next(iter(user.find(marker='webhook-secret').elements)).value
    assert secret.startswith(service.SECRET_PREFIX)
    [view] = service.list_webhooks(auth.LOCAL)
    assert (view.url, view.events, view.allow_secret) == (
        'https://hooks.example.com/catch/1',
        ['output.captured'],
        True,
    )
    await user.should_see('Secret items too')


async def test_the_test_event_watch_stops_when_the_webhook_is_deleted(user: User, monkeypatch) -> None:
    """Send test event watches its delivery; the webhook deleted meanwhile (its queue goes with it), the
    panel stops asking the database for it instead of polling twice a second for ever."""
    hook_id, _ = service.add_webhook(auth.LOCAL, 'https://hooks.example.com/catch/2', ['output.captured'])
    service.update_webhook(auth.LOCAL, hook_id, enabled=False)  # the test event waits in the queue
    asked: list[str] = []
    status = service.delivery_status

    def counting(principal: auth.Principal, delivery_id: str):  # noqa: ANN202
        asked.append(delivery_id)
        return status(principal, delivery_id)

    monkeypatch.setattr(service, 'delivery_status', counting)
    await user.open('/settings?tab=integrations')
    user.find(marker=f'webhook-test-{hook_id}').click()
    await user.should_see('Test event queued')
    for _ in range(50):
        if asked:
            break
        await asyncio.sleep(0.1)
    assert asked, 'the panel watches the test event'
    user.find(marker=f'webhook-delete-{hook_id}').click()
    await user.should_see(marker='dialog-delete')
    user.find(marker='dialog-delete').click()
    await user.should_see('Webhook deleted')
    await asyncio.sleep(1.0)  # the watch sees the delivery gone
    seen = len(asked)
    await asyncio.sleep(1.5)
    assert len(asked) == seen
    await user.should_see('No webhooks yet.')
