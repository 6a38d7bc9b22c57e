"""``outputhub password`` (the LAN login password), ``outputhub token`` (REST API bearer tokens) and
``outputhub device`` (paired phones and browsers: list, make an administrator, revoke)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from ..errors import ValidationError
from .common import emit, open_db


def prompt_new_password(*, allow_empty: bool = False) -> str:
    """Ask twice without echo on a terminal; read one line from stdin otherwise."""
    from .. import auth

    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip('\r\n')
        if password or not allow_empty:
            auth.validate_new_password(password)
        return password
    while True:
        try:
            first = getpass.getpass('New password: ')
        except EOFError:  # Ctrl+D: no password now
            print()
            if allow_empty:
                return ''
            raise ValidationError('No password was given.') from None
        if not first and allow_empty:
            return ''
        try:
            auth.validate_new_password(first)
        except ValidationError as exc:
            print(exc, file=sys.stderr)
            continue
        if getpass.getpass('Repeat it: ') == first:
            return first
        print('The two passwords differ; try again.', file=sys.stderr)


def _password(args: argparse.Namespace) -> int:
    from .. import auth

    password = prompt_new_password()
    auth.set_password(password)
    emit(
        args,
        {'password_set': True},
        'Password saved. Phones on your network log in with it (outputhub --lan).',
    )
    return 0


def _token_create(args: argparse.Namespace) -> int:
    from ..data import access

    open_db(args)
    new = access.create_token(
        args.name, 'write' if args.write else 'read', allow_restricted=args.allow_restricted
    )
    emit(
        args,
        {'id': new.row.id, 'name': new.row.name, 'scope': new.row.scope, 'token': new.token},
        f'{new.token}\n(shown once; send it as "Authorization: Bearer <token>")',
    )
    return 0


def _token_list(args: argparse.Namespace) -> int:
    from ..data import access

    open_db(args)
    rows = [
        {
            'id': t.id,
            'name': t.name,
            'prefix': t.prefix,
            'scope': t.scope,
            'allow_restricted': bool(t.allow_restricted),
            'last_used_at': t.last_used_at,
            'revoked_at': t.revoked_at,
        }
        for t in access.list_tokens()
    ]
    return _listing(
        args, rows, lambda r: f'{r["prefix"]}…  {"revoked" if r["revoked_at"] else r["scope"]:<7}'
    )


def _listing(args: argparse.Namespace, rows: list[dict], middle: Callable[[dict], str]) -> int:
    """Rows as JSON (``--json``) or one line each: id, ``middle(row)``, name."""
    if getattr(args, 'json', False):
        emit(args, rows)
    else:
        for r in rows:
            print(f'{r["id"]:>4}  {middle(r)}  {r["name"]}')
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    from ..data import access

    open_db(args)
    access.revoke_token(args.id)
    emit(args, {'revoked': args.id}, f'Token {args.id} revoked.')
    return 0


def _device_list(args: argparse.Namespace) -> int:
    from ..data import access

    open_db(args)
    rows = [
        {
            'id': d.id,
            'name': d.name,
            'admin': bool(d.is_admin),
            'allow_restricted': bool(d.allow_restricted),
            'last_seen_at': d.last_seen_at,
            'revoked_at': d.revoked_at,
        }
        for d in access.list_devices()
    ]
    return _listing(
        args, rows, lambda r: f'{"revoked" if r["revoked_at"] else "admin" if r["admin"] else "device":<7}'
    )


def _device_admin(args: argparse.Namespace) -> int:
    from .. import auth
    from ..services import access_admin

    open_db(args)
    access_admin.set_device_admin(auth.LOCAL, args.id, not args.off)  # the command line runs as this computer
    emit(
        args,
        {'id': args.id, 'admin': not args.off},
        f'Device {args.id} ' + ('no longer administers.' if args.off else 'is an administrator now.'),
    )
    return 0


def _device_revoke(args: argparse.Namespace) -> int:
    from .. import auth
    from ..services import access_admin

    open_db(args)
    access_admin.revoke_device(auth.LOCAL, args.id)
    emit(args, {'revoked': args.id}, f'Device {args.id} revoked; it has to log in again.')
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        'password',
        parents=[common],
        help='set the password other devices log in with (outputhub --lan)',
        description='Set the LAN login password (asked twice on a terminal; one line from stdin otherwise). '
        'Only a salted scrypt hash is kept, in the data directory.',
    )
    p.set_defaults(func=_password)

    t = sub.add_parser('token', parents=[common], help='REST API tokens: create, list, revoke')
    tsub = t.add_subparsers(dest='token_command', metavar='ACTION', required=True)
    c = tsub.add_parser('create', parents=[common], help='make a token (printed once)')
    c.add_argument('name', help='what will use it, e.g. "Android share"')
    c.add_argument('--write', action='store_true', help='read-write (default: read-only)')
    c.add_argument('--allow-restricted', action='store_true', help='may see items marked restricted')
    c.set_defaults(func=_token_create)
    ls = tsub.add_parser('list', parents=[common], help='list tokens (never their values)')
    ls.set_defaults(func=_token_list)
    r = tsub.add_parser('revoke', parents=[common], help='revoke a token at once')
    r.add_argument('id', type=int)
    r.set_defaults(func=_token_revoke)

    d = sub.add_parser('device', parents=[common], help='paired phones and browsers: list, admin, revoke')
    dsub = d.add_subparsers(dest='device_command', metavar='ACTION', required=True)
    ls = dsub.add_parser('list', parents=[common], help='list devices (id, role, name)')
    ls.set_defaults(func=_device_list)
    a = dsub.add_parser(
        'admin', parents=[common], help='let a device administer the app from its browser (--off: no longer)'
    )
    a.add_argument('id', type=int)
    a.add_argument('--off', action='store_true', help='take the administration away again')
    a.set_defaults(func=_device_admin)
    r = dsub.add_parser('revoke', parents=[common], help='revoke a device at once (it must log in again)')
    r.add_argument('id', type=int)
    r.set_defaults(func=_device_revoke)
