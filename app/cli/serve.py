"""Running the app: ``outputhub [--db PATH] [--demo] [--host H] [--port N] [--no-browser] [--native]``."""

from __future__ import annotations

import argparse

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


def settings_from_args(args: argparse.Namespace) -> config.Settings:
    demo = bool(getattr(args, 'demo', False)) and not getattr(args, 'db', None)
    return config.Settings(
        db_path=db_path(args),
        demo=demo,
        host=args.host or '127.0.0.1',
        port=args.port,
        show_browser=not args.no_browser,
        native=args.native,
    )


def serve(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if settings.demo:
        from ..data import demo

        demo.ensure_demo_database(settings.db_path)
    from .. import server

    server.run(settings)
    return 0
