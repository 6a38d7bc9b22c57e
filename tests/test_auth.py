"""The login building blocks: password hashing, signed cookies, throttling, pairing tokens, host checks."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app import auth, config
from app.data import access
from app.data import db as dbmod
from app.errors import ValidationError
from app.pages.login import safe_next

ROOT = Path(__file__).resolve().parents[1]


def test_password_is_stored_as_a_salted_scrypt_hash_readable_only_by_the_user() -> None:
    assert not auth.password_is_set()
    auth.set_password('correct horse battery')
    path = config.data_dir() / auth.PASSWORD_FILE
    stored = path.read_text()
    assert 'correct horse' not in stored
    assert stored.startswith('scrypt$')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert auth.check_password('correct horse battery')
    assert not auth.check_password('correct horse batterY')
    assert not auth.check_password('')
    # Same password, new salt: the hashes differ.
    assert auth.hash_password('correct horse battery') != auth.hash_password('correct horse battery')


def test_short_passwords_are_refused_with_one_sentence() -> None:
    with pytest.raises(ValidationError, match='at least 8 characters'):
        auth.set_password('short')
    assert not auth.password_is_set()


def test_a_tampered_or_foreign_cookie_is_rejected() -> None:
    signer = auth.Signer('key one')
    value = signer.sign({'d': 7})
    assert signer.unsign(value) == {'d': 7}
    body, mac = value.rsplit('.', 1)
    forged = auth.Signer('key one').sign({'d': 8}).rsplit('.', 1)[0] + '.' + mac
    assert signer.unsign(forged) is None
    assert auth.Signer('another key').unsign(value) is None
    for junk in ('', 'abc', 'a.b', '.' * 5000, None):
        assert signer.unsign(junk) is None


def test_throttle_lets_a_few_attempts_through_then_makes_each_wait_longer() -> None:
    now = [1000.0]
    throttle = auth.Throttle(free=3, base_wait=10, max_wait=60, window=600, global_free=100)
    throttle.clock = lambda: now[0]
    for _ in range(3):
        assert throttle.retry_after('10.0.0.5') == 0
        throttle.failed('10.0.0.5')
    assert throttle.retry_after('10.0.0.5') == pytest.approx(10)
    assert throttle.retry_after('10.0.0.6') == 0  # another address is not punished
    now[0] += 11
    assert throttle.retry_after('10.0.0.5') == 0
    throttle.failed('10.0.0.5')
    assert throttle.retry_after('10.0.0.5') == pytest.approx(20)  # doubled
    for _ in range(10):
        throttle.failed('10.0.0.5')
    assert throttle.retry_after('10.0.0.5') == pytest.approx(60)  # capped
    throttle.succeeded('10.0.0.5')
    assert throttle.retry_after('10.0.0.5') == 0


def test_many_failing_addresses_together_slow_failures_down_but_lock_nobody_out() -> None:
    throttle = auth.Throttle(free=5, global_free=4, base_wait=30)
    for i in range(4):
        throttle.failed(f'10.0.0.{i}')
    assert throttle.busy()
    # A fresh address still gets its try (the right password gets in) ...
    assert throttle.retry_after('10.0.0.99') == 0
    # ... but while everyone is over the budget, one failure is enough to make it wait.
    throttle.failed('10.0.0.99')
    assert throttle.retry_after('10.0.0.99') == pytest.approx(30)
    quiet = auth.Throttle(free=5, global_free=100, base_wait=30)
    quiet.failed('10.0.0.99')
    assert quiet.retry_after('10.0.0.99') == 0  # normally five are free


def test_an_ipv6_computer_is_throttled_as_one_whatever_address_of_its_64_it_uses() -> None:
    assert auth.address_key('2001:db8:1:2::10') == auth.address_key('2001:db8:1:2:abcd::99')
    assert auth.address_key('2001:db8:1:2::10') != auth.address_key('2001:db8:1:3::10')
    assert auth.address_key('::ffff:192.168.1.5') == '192.168.1.5'
    assert auth.address_key('192.168.1.5') == '192.168.1.5'


def test_pairing_tokens_work_once_and_expire() -> None:
    tokens = auth.PairingTokens(ttl=60)
    token = tokens.create('Pixel')
    item = tokens.claim(token)
    assert item is not None and item.name == 'Pixel'
    assert tokens.claim(token) is None  # one time only
    assert tokens.claim('not-a-token') is None
    short = auth.PairingTokens(ttl=0.01)
    late = short.create('Late phone')
    time.sleep(0.05)
    assert short.claim(late) is None


_OWN = socket.gethostname().lower()


@pytest.mark.parametrize(
    ('host', 'lan', 'allowed'),
    [
        ('127.0.0.1:8080', False, True),
        ('localhost:8080', False, True),
        ('app.localhost:8080', True, True),  # browsers resolve *.localhost to loopback themselves
        ('[::1]:8080', False, True),
        ('192.168.1.20:8080', True, True),  # an IP address involves no DNS: nothing to rebind
        ('[fe80::1]:8080', True, True),
        (f'{_OWN}:8080', True, True),  # this computer's own name ...
        (f'{_OWN}', False, True),
        (f'{_OWN.split(".")[0]}.local:8080', True, True),  # ... and its mDNS name
        (f'{_OWN.upper()}.:8080', True, True),
        ('evil.example.com', False, False),  # DNS rebinding
        ('evil.example.com:8080', True, False),
        (f'not-{_OWN}.local:8080', True, False),  # another *.local name anyone on the Wi-Fi can claim
        (f'not-{_OWN}', True, False),  # other single-label names (LLMNR / search domains)
        (f'not-{_OWN}', False, False),
        ('router:8080', True, False),
    ],
)
def test_only_addresses_of_this_computer_are_answered(
    host: str, lan: bool, allowed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv('OUTPUTHUB_ALLOWED_HOSTS', raising=False)
    assert auth.host_allowed(host, lan=lan) is allowed


def test_more_names_can_be_allowed_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('OUTPUTHUB_ALLOWED_HOSTS', 'hub.example.org, router')
    assert auth.host_allowed('hub.example.org:8080', lan=True)
    assert auth.host_allowed('router', lan=True)
    assert not auth.host_allowed('other.example.org', lan=True)


def test_device_names_read_well() -> None:
    android = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36'
    assert auth.device_name_from_user_agent(android) == 'Chrome on Android'
    iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1'
    assert auth.device_name_from_user_agent(iphone) == 'Safari on iPhone'
    assert auth.device_name_from_user_agent('') == 'Browser'


@pytest.mark.parametrize(
    ('target', 'expected'),
    [
        ('/outputs?tags=1', '/outputs?tags=1'),
        ('//evil.example.com/', '/'),
        ('https://evil.example.com/', '/'),
        ('/\\evil.example.com', '/'),
        ('', '/'),
    ],
)
def test_login_only_returns_to_pages_of_this_site(target: str, expected: str) -> None:
    assert safe_next(target) == expected


def test_tokens_are_stored_hashed_and_revocation_is_immediate(db) -> None:
    new = access.create_token('Android share', 'write')
    assert new.token.startswith('oh_') and len(new.token) > 30
    row = access.find_token(new.token)
    assert row is not None and row.scope == 'write'
    raw = db.execute_sql('SELECT token_hash, prefix FROM api_token').fetchone()
    assert new.token not in raw and raw[0] == access.token_hash(new.token)
    access.revoke_token(new.row.id)
    assert access.find_token(new.token) is None
    with pytest.raises(ValidationError):
        access.create_token('x', 'admin')


def test_cli_sets_the_password_and_makes_tokens(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != 'PYTEST_CURRENT_TEST'}
    db = tmp_path / 'cli.db'
    done = subprocess.run(
        [sys.executable, str(ROOT / 'main.py'), 'password', '--db', str(db)],
        input='a long enough password\n',
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert auth.check_password('a long enough password')
    short = subprocess.run(
        [sys.executable, str(ROOT / 'main.py'), 'password'],
        input='short\n',
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert short.returncode == 2 and 'at least 8 characters' in short.stderr
    made = subprocess.run(
        [
            sys.executable,
            str(ROOT / 'main.py'),
            'token',
            'create',
            'script',
            '--write',
            '--db',
            str(db),
            '--json',
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    assert '"token": "oh_' in made.stdout


def test_the_session_cookie_is_found_among_cookies_other_apps_set() -> None:
    header = 'theme={"dark": true, "x": [1,2]}; other=a b; oh_session=abc.def; last="q"'
    assert auth._cookie({'cookie': header}, auth.COOKIE_NAME) == 'abc.def'
    assert auth._cookie({}, auth.COOKIE_NAME) is None


def test_cli_lists_devices_makes_one_an_administrator_and_revokes_it(db, db_path, capsys) -> None:
    from app.cli import main

    laptop = access.create_device('Laptop')
    db.close()
    assert main(['device', 'admin', str(laptop.id), '--db', str(db_path)]) == 0
    assert main(['device', 'list', '--json', '--db', str(db_path)]) == 0
    out = capsys.readouterr().out
    listed = json.loads(out[out.index('[') :])
    assert [(d['name'], d['admin']) for d in listed] == [('Laptop', True)]
    assert main(['device', 'admin', str(laptop.id), '--off', '--db', str(db_path)]) == 0
    assert main(['device', 'revoke', str(laptop.id), '--db', str(db_path)]) == 0
    assert main(['device', 'admin', '999', '--db', str(db_path)]) == 2
    assert 'no longer exists' in capsys.readouterr().err
    dbmod.connect(db_path)
    row = access.get_device(laptop.id)
    assert not row.is_admin and row.revoked_at is not None


def test_refreshing_this_computers_names_never_waits_on_name_resolution(monkeypatch) -> None:
    """``host_allowed`` runs on the event loop for every request; a slow DNS must not stall it."""
    auth.own_host_names()  # known once, as at start-up
    stamp, names = auth._own_names_cache
    monkeypatch.setattr(auth, '_own_names_cache', (stamp - 2 * auth._OWN_NAMES_TTL, names))  # gone stale
    monkeypatch.setattr(socket, 'getfqdn', lambda *a: time.sleep(1.0) or 'slow.example.lan')
    started = time.monotonic()
    assert auth.host_allowed('127.0.0.1:8080', lan=True)
    assert auth.host_allowed(f'{socket.gethostname()}:8080', lan=True)
    assert time.monotonic() - started < 0.3, 'the request waited for the name lookup'
    deadline = time.monotonic() + 5
    while 'slow.example.lan' not in auth._own_names_cache[1] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert 'slow.example.lan' in auth._own_names_cache[1]  # refreshed in the background
