"""``outputhub --lan --https`` serves TLS with the certificate it made; a client trusting the app's CA
(what the README has the phone install) connects without warnings, and the CA is downloadable."""

from __future__ import annotations

import ssl

import httpx

from .conftest import start_lan_app


def test_https_with_the_apps_own_ca(start_app) -> None:
    server = start_lan_app(start_app, '--https', scheme='https')
    url = server.url
    ca = server.data_dir / 'outputhub-ca.crt'
    assert ca.exists()
    context = ssl.create_default_context(cafile=str(ca))
    with httpx.Client(verify=context, base_url=url) as client:
        login = client.get('/login')
        assert login.status_code == 200 and 'name="password"' in login.text
        # NiceGUI's own session cookie (app.storage.user) is never sent over plain http either.
        nicegui_cookie = next(c for c in login.headers.get_list('set-cookie') if c.startswith('session='))
        assert 'secure' in nicegui_cookie.lower()
        download = client.get('/outputhub-ca.crt')
        assert download.status_code == 200
        assert download.headers['content-type'] == 'application/x-x509-ca-cert'
        assert download.content == ca.read_bytes()
        assert client.get('/api/v1/outputs').status_code == 401
        ok = client.post('/login', data={'password': 'correct horse battery'}, headers={'Origin': url})
        assert 'Secure' in ok.headers['set-cookie']  # the session cookie never travels over plain http
    try:
        httpx.get(url + '/login', verify=True)
        raise AssertionError('a client that does not trust the CA must get a certificate error')
    except httpx.ConnectError:
        pass
