"""Settings → Integrations → Webhooks: a webhook is listed with its events, and Send test event is
delivered to a local listener and shows up in the delivery log."""

from __future__ import annotations

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
