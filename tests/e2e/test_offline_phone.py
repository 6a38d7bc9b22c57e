"""The phone away from home, in Chromium at phone size against ``outputhub --lan --https``: the service
worker registers; with the browser offline and the server stopped, the home-screen address and the share
target open the offline capture page, which keeps two captures on the phone; the server comes back on the
same database and port and each capture is stored once, a replay of the same queued request stores
nothing new; the pocket copy opens and finds an item by a word while offline, and a Secret item never
reaches it on a device without permission.

Chromium refuses to register a service worker from an origin with a certificate error even with
Playwright's ``ignore_https_errors``; this test launches it with ``--ignore-certificate-errors-spki-list``
set to the app's own server key (trusting that one certificate, as a phone that installed the app's CA
does), which makes the origin secure and the service worker work."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LAN_PASSWORD,
    ROOT,
    app_env,
    free_port,
    log_in,
    require_browser,
    screenshot,
    tracebacks,
    wait_until_up,
)

SEED = """
import sys
import time
from app.data import db, lookups, outputs
db.connect(sys.argv[1])
secret = lookups.find_by_name('sensitivity', 'Secret')
outputs.capture_output(outputs.CaptureData(body='Bank PIN 4711 and the alarm code', title='Alarm codes',
                                           sensitivity_id=secret.id, favourite=True))
outputs.capture_output(outputs.CaptureData(body='Pack the tent pegs before the kayak trip', title='Lofoten packing list'))
outputs.capture_output(outputs.CaptureData(body='Sourdough: feed the starter at 8', title='Bread notes', favourite=True))
db.close()
"""


class App:
    """The app on a fixed port and data directory, so it can be stopped and started again (same origin)."""

    def __init__(self, tmp_path: Path) -> None:
        self.data_dir = tmp_path / 'phone-app'
        self.data_dir.mkdir()
        self.db_path = self.data_dir / 'outputhub.db'
        self.port = free_port()
        self.url = f'https://127.0.0.1:{self.port}'
        self.logs: list[Path] = []
        self.process: subprocess.Popen | None = None

    def run(self, *argv: str, stdin: str = '') -> None:
        subprocess.run(
            [sys.executable, *argv],
            input=stdin,
            env=app_env(self.data_dir),
            cwd=str(ROOT),
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start(self) -> None:
        log_path = self.data_dir.parent / f'app-{len(self.logs)}.log'
        self.logs.append(log_path)
        log = open(log_path, 'w')  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / 'main.py'), '--db', str(self.db_path), '--port', str(self.port)]
            + ['--no-browser', '--lan', '--no-trust-loopback', '--https'],
            cwd=str(ROOT),
            env=app_env(self.data_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until_up(self.url + '/login', self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def spki(self) -> str:
        """The base64 SHA-256 of the server certificate's public key (what Chromium's SPKI list takes)."""
        cert = self.data_dir / 'outputhub-server.crt'
        public = x509.load_pem_x509_certificate(cert.read_bytes()).public_key()
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(hashlib.sha256(der).digest()).decode()

    def count(self, title: str) -> int:
        with sqlite3.connect(self.db_path) as conn:
            sql = 'SELECT COUNT(*) FROM output WHERE title = ? AND deleted_at IS NULL'
            return conn.execute(sql, (title,)).fetchone()[0]


@pytest.fixture
def app_server(tmp_path: Path):
    require_browser()
    server = App(tmp_path)
    server.run('-c', SEED, str(server.db_path))
    server.run(str(ROOT / 'main.py'), 'password', '--db', str(server.db_path), stdin=LAN_PASSWORD + '\n')
    server.start()
    yield server
    server.stop()
    found = [tb for log in server.logs for tb in tracebacks(log.read_text(errors='replace'))]
    assert not found, 'the app logged a traceback:\n' + '\n\n'.join(found)


def _status(page) -> str:
    return page.locator('#oh-status').inner_text()


def test_capture_offline_sync_once_and_read_the_pocket_copy(app_server: App) -> None:
    from playwright.sync_api import expect, sync_playwright

    app = app_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, f'--ignore-certificate-errors-spki-list={app.spki()}'],
            headless=True,
        )
        context = browser.new_context(
            viewport={'width': 390, 'height': 844}, device_scale_factor=2, is_mobile=True, has_touch=True
        )
        page = context.new_page()
        log_in(page, app.url)
        page.wait_for_function(
            'navigator.serviceWorker && navigator.serviceWorker.controller !== null', timeout=30_000
        )

        # The pocket copy, downloaded while the app is reachable: favourites and recent outputs, no Secret.
        page.goto(app.url + '/assets/offline-pocket.html')
        expect(page.locator('#oh-mark')).to_contain_text('Offline copy · updated ', timeout=15_000)
        kept = page.evaluate('OHOffline.searchPocket("")')
        assert {i['title'] for i in kept} == {'Lofoten packing list', 'Bread notes'}
        assert not any('PIN' in json.dumps(i) for i in kept)

        # Away from home: the browser is offline and the computer's app is not running.
        app.stop()
        context.set_offline(True)
        page.goto(app.url + '/')  # the home-screen icon's start_url
        expect(page.locator('#oh-net')).to_contain_text('cannot be reached')
        page.fill('#oh-title', 'Ferry times')
        page.fill('#oh-body', 'The ferry to Moskenes leaves at 07:00 and 15:30')
        page.click('#oh-keep')
        expect(page.locator('#oh-kept')).to_contain_text('Kept on this phone: “Ferry times”')
        expect(page.locator('#oh-status')).to_have_text('1 capture waiting on this phone · not synced yet')

        page.goto(
            app.url + '/capture?title=Cardamom%20buns&text=Knead%20for%2010%20minutes'
            '&url=https%3A%2F%2Fexample.org%2Fbuns'
        )  # the share target
        expect(page.locator('#oh-title')).to_have_value('Cardamom buns')
        assert 'https://example.org/buns' in page.input_value('#oh-body')
        page.click('#oh-keep')
        expect(page.locator('#oh-status')).to_have_text('2 captures waiting on this phone · not synced yet')
        queued = page.evaluate('OHOffline.status().then(s => s.captures)')
        assert len(queued) == 2 and all(len(c['id']) == 36 for c in queued)  # crypto.randomUUID
        page.fill('#oh-title', 'Too long')  # the server will refuse it: it must stay on the phone
        page.fill('#oh-body', 'x' * 1_000_001)
        page.click('#oh-keep')
        expect(page.locator('#oh-status')).to_have_text('3 captures waiting on this phone · not synced yet')
        screenshot(page, 'phone-offline-capture')

        # Still offline: the pocket copy opens and finds an item by a word.
        page.goto(app.url + '/assets/offline-pocket.html')
        expect(page.locator('#oh-mark')).to_contain_text('Offline copy · updated ')
        page.fill('#oh-q', 'kayak')
        expect(page.locator('#oh-count')).to_have_text('1 output matches')
        page.get_by_role('button', name='Lofoten packing list').click()
        expect(page.locator('#oh-item-body')).to_have_text('Pack the tent pegs before the kayak trip')
        page.click('#oh-back')
        page.fill('#oh-q', 'PIN')
        expect(page.locator('#oh-count')).to_have_text('0 outputs match')
        screenshot(page, 'phone-offline-pocket')

        # Back home: the app runs again on the same database and port; the online event sends the queue.
        page.goto(app.url + '/')
        expect(page.locator('#oh-status')).to_contain_text('3 captures waiting')
        app.start()
        context.set_offline(False)
        status = page.locator('#oh-status')
        expect(status).to_contain_text('1 capture waiting on this phone · last sync ', timeout=20_000)
        assert (
            app.count('Ferry times') == 1 and app.count('Cardamom buns') == 1 and app.count('Too long') == 0
        )
        refused = page.locator('#oh-queue li')
        expect(refused).to_have_count(1)
        expect(refused).to_contain_text('Not stored: body: String should have at most 1000000 characters')
        screenshot(page, 'phone-offline-synced')

        # The same queued request again (a reply lost on the way back): answered, nothing new stored.
        replay = page.evaluate(
            """async (c) => {
                const r = await fetch('/api/v1/captures', {method: 'POST', credentials: 'same-origin',
                    headers: {'Content-Type': 'application/json', 'Idempotency-Key': c.id},
                    body: JSON.stringify({body: c.body, title: c.title})});
                return r.status;
            }""",
            next(c for c in queued if c['title'] == 'Ferry times'),
        )
        assert replay == 200
        assert app.count('Ferry times') == 1 and app.count('Cardamom buns') == 1

        # In the app, a note says what still waits on the phone.
        page.goto(app.url + '/')
        page.wait_for_selector('.nicegui-content', state='attached', timeout=30_000)
        expect(page.locator('#oh-offline-note')).to_contain_text(
            '1 capture waiting on this phone · last sync '
        )

        # Signed out (the session cookie is gone): a capture stays on the phone and says how to send it.
        context.clear_cookies()
        page.goto(app.url + '/assets/offline.html')
        page.fill('#oh-body', 'Written after the session ended')
        page.click('#oh-keep')
        expect(page.locator('#oh-queue')).to_contain_text('Sign in to send', timeout=15_000)
        expect(page.locator('#oh-status')).to_contain_text('2 captures waiting on this phone')
        assert app.count('Written after the session ended') == 0
        page.goto(app.url + '/login')  # signed out: the phone drops its offline copy, the captures stay
        expect(page.locator('#oh-offline-note')).to_contain_text('2 captures waiting on this phone')
        assert page.evaluate('OHOffline.searchPocket("")') == []
        context.close()
        browser.close()


def test_over_plain_http_a_phone_is_told_offline_capture_needs_https(start_app, tmp_path: Path) -> None:
    """http://<computer>:8080 is no secure context: no service worker, and the phone is told so."""
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    server = start_app(args=('--lan', '--no-trust-loopback'), env={'OUTPUTHUB_ALLOWED_HOSTS': 'hub.test'})
    subprocess.run(
        [sys.executable, str(ROOT / 'main.py'), 'password', '--db', str(server.db_path)],
        input=LAN_PASSWORD + '\n',
        env=app_env(server.data_dir),
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    port = server.url.rsplit(':', 1)[1]
    assert httpx.get(server.url + '/login').status_code == 200
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, '--host-resolver-rules=MAP hub.test 127.0.0.1'],
            headless=True,
        )
        page = browser.new_page(viewport={'width': 390, 'height': 844}, is_mobile=True, has_touch=True)
        log_in(page, f'http://hub.test:{port}')
        assert page.evaluate('window.isSecureContext') is False
        note = page.locator('#oh-offline-note')
        expect(note).to_contain_text('Offline capture needs HTTPS: start with --https')
        note.get_by_role('button', name='Hide this note on this phone').click()
        expect(note).to_have_count(0)
        page.reload()
        page.wait_for_selector('.nicegui-content', state='attached', timeout=30_000)
        expect(page.locator('#oh-offline-note')).to_have_count(0)
        browser.close()


def test_background_sync_sends_the_queue_with_no_page_of_the_app_open(app_server: App) -> None:
    from playwright.sync_api import expect, sync_playwright

    app = app_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, f'--ignore-certificate-errors-spki-list={app.spki()}'],
            headless=True,
        )
        context = browser.new_context(viewport={'width': 390, 'height': 844}, is_mobile=True, has_touch=True)
        page = context.new_page()
        log_in(page, app.url)
        page.wait_for_function(
            'navigator.serviceWorker && navigator.serviceWorker.controller !== null', timeout=30_000
        )
        app.stop()
        context.set_offline(True)
        page.goto(app.url + '/capture?text=Sent%20by%20Background%20Sync')
        page.click('#oh-keep')
        expect(page.locator('#oh-status')).to_contain_text('1 capture waiting on this phone')
        page.wait_for_function(
            "navigator.serviceWorker.ready.then(r => r.sync.getTags()).then(t => t.includes('outputhub-captures'))"
        )
        page.goto('about:blank')  # the phone's browser is closed: only the service worker is left
        app.start()
        context.set_offline(False)
        deadline = time.monotonic() + 30
        while app.count('Sent by Background Sync') == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert app.count('Sent by Background Sync') == 1
        browser.close()
