"""``outputhub`` says in the terminal where it is and how to stop it: the address, the database, the
address for phones with ``--lan``, "Press Ctrl+C to stop", and that no browser could be opened when none
could."""

from __future__ import annotations

import time

from .conftest import start_lan_app


def _block(server, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = server.log()
        if 'Press Ctrl+C to stop.' in text:
            return text
        time.sleep(0.2)
    raise AssertionError(f'no start-up block in the log:\n{server.log()}')


def test_the_terminal_says_where_the_app_is_and_how_to_stop_it(start_app) -> None:
    server = start_app()
    text = _block(server)
    assert f'Output Hub is ready: {server.url}' in text
    assert f'Database: {server.db_path}' in text
    assert 'On your network' not in text  # this computer only
    assert 'No browser could be opened' not in text  # --no-browser: nothing was tried


def test_it_says_when_no_browser_could_be_opened(start_app, tmp_path) -> None:
    # as on a machine without a desktop: BROWSER names a program that does not exist
    server = start_app(args=(), env={'BROWSER': str(tmp_path / 'no-such-browser')}, open_browser=True)
    assert 'No browser could be opened here: open the address above yourself.' in _block(server)


def test_lan_mode_also_gives_the_address_for_phones(start_app) -> None:
    server = start_lan_app(start_app)
    text = _block(server)
    assert 'On your network:' in text and 'Press Ctrl+C to stop.' in text
