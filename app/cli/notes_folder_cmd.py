"""``outputhub notes-folder DIR``: the Markdown notes (the Obsidian-friendly export) kept in step in a folder."""

from __future__ import annotations

import argparse

from ..errors import ValidationError
from .common import emit, open_db


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        'notes-folder',
        parents=[common],
        help='keep the Markdown notes in a folder (an Obsidian vault, a Dropbox or Syncthing folder)',
        description='Writes one Markdown note per output, conversation, prompt and agent into DIR, like the '
        'Markdown export, but only the notes that changed since the last run; notes of items moved to the '
        'trash, deleted, renamed or made Secret are removed. Files the app did not write are never touched.',
    )
    p.add_argument('dir', metavar='DIR', nargs='?', help='the folder (made when its parent exists)')
    p.add_argument(
        '--include-secret', action='store_true', help='also write Secret items (left out otherwise)'
    )
    keep = p.add_mutually_exclusive_group()
    keep.add_argument(
        '--keep-in-step',
        action='store_true',
        help='also remember DIR: while the app runs it keeps the folder in step every few minutes',
    )
    keep.add_argument(
        '--stop-keeping',
        action='store_true',
        help='stop keeping the remembered folder in step (no DIR needed)',
    )
    p.set_defaults(func=cmd_notes_folder)


def cmd_notes_folder(args: argparse.Namespace) -> int:
    from ..data import notes_folder

    open_db(args)
    if args.stop_keeping:
        was = notes_folder.stop_keeping()
        text = (
            f'The app no longer keeps {was["dir"]} in step.' if was else 'No notes folder was kept in step.'
        )
        emit(args, {'kept': None}, text)
        return 0
    if not args.dir:
        raise ValidationError('Name the folder to write to: outputhub notes-folder DIR.')
    try:
        report = notes_folder.sync(args.dir, include_secret=args.include_secret)
    except Exception as exc:
        notes_folder.record_status(None, str(exc) or type(exc).__name__)
        raise
    notes_folder.record_status(report)
    if args.keep_in_step:
        notes_folder.save_setting(report.path, include_secret=args.include_secret, keep=True)
    lines = [f'{report.path}: {report.summary()}.']
    if report.left_out_secret:
        n = report.left_out_secret
        lines.append(f'Left out {n} Secret item{"s" if n != 1 else ""} (--include-secret writes them).')
    kept = notes_folder.kept()
    kept_here = bool(kept and kept['dir'] == report.path)
    if kept_here:
        lines.append(
            'While the app runs it keeps this folder in step every few minutes (--stop-keeping ends it).'
        )
    emit(args, report.to_dict() | {'kept_in_step': kept_here}, '\n'.join(lines))
    return 0
