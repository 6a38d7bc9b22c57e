"""Running the app: ``outputhub [--db PATH] [--demo] [--host H] [--port N] [--no-browser] [--native]
[--lan [--https] [--no-trust-loopback]]``."""

from __future__ import annotations

import argparse
import ipaddress
import sys

from .. import config
from .common import db_path


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        '--db',
        metavar='PATH',
        help='database file (default: outputhub.db in the user data directory; OUTPUTHUB_DB overrides)',
    )
    parser.add_argument(
        '--demo', action='store_true', help='open the demo profile (a separate database full of example data)'
    )
    parser.add_argument(
        '--host', default=None, help='interface to bind (default 127.0.0.1: this computer only)'
    )
    parser.add_argument('--port', type=int, default=8080, help='port (default 8080)')
    parser.add_argument('--no-browser', action='store_true', help='do not open a browser tab')
    parser.add_argument(
        '--native', action='store_true', help='open in a native desktop window (needs outputhub[native])'
    )
    parser.add_argument(
        '--lan',
        action='store_true',
        help='also serve the home network (0.0.0.0); every other device must log in or be paired',
    )
    parser.add_argument(
        '--https',
        action='store_true',
        help='serve HTTPS with a self-signed certificate kept in the data directory',
    )
    parser.add_argument(
        '--no-trust-loopback',
        action='store_true',
        help='with --lan: ask this computer to log in too (tests use it to act as a phone)',
    )


def settings_from_args(args: argparse.Namespace) -> config.Settings:
    demo = bool(getattr(args, 'demo', False)) and not getattr(args, 'db', None)
    lan = bool(getattr(args, 'lan', False))
    host = args.host or ('0.0.0.0' if lan else '127.0.0.1')
    return config.Settings(
        db_path=db_path(args),
        demo=demo,
        host=host,
        port=args.port,
        show_browser=not args.no_browser,
        native=args.native,
        # Any address other devices can reach means LAN mode: login required, whatever the flag said.
        lan=lan or not _is_loopback(host),
        https=bool(getattr(args, 'https', False)),
        trust_loopback=not getattr(args, 'no_trust_loopback', False),
    )


def _is_loopback(host: str) -> bool:
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _announce_lan(settings: config.Settings) -> None:
    """Say where phones connect, and make sure there is a way in (a password or pairing)."""
    from .. import auth

    if not auth.password_is_set() and sys.stdin.isatty():
        from .lan_cmds import prompt_new_password

        print('Phones on your network will log in with a password. Choose one now (or press Enter to skip')
        print('and pair phones with the QR code in Settings → Phone & devices).')
        password = prompt_new_password(allow_empty=True)
        if password:
            auth.set_password(password)
            print('Password saved.')
    if not auth.password_is_set():
        print('No LAN password yet: phones can join only by pairing (run `outputhub password` to set one).')
    print('Pair a phone: Settings → Phone & devices on this computer shows a QR code.')


def serve(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if settings.demo:
        from ..data import demo

        demo.ensure_demo_database(settings.db_path)
    if settings.lan:
        _announce_lan(settings)
    from .. import server

    server.run(settings)
    return 0
