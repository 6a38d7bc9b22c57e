"""Import, export, backup and restore subcommands."""

from __future__ import annotations

import argparse
import sys

from ..data.text import plural
from .common import ProgressBar, db_path, emit, open_db

IMPORT_EPILOG = """\
PATH may be a ChatGPT or Claude export (the zip as downloaded, with or without .zip, its unpacked
folder, or its conversations.json), a Gemini (Takeout, AI Studio), Grok, DeepSeek, Le Chat, Perplexity,
Open WebUI or LibreChat export, coding-agent sessions (~/.claude/projects, ~/.codex/sessions, a Gemini CLI session, one file or
a zip of them), an llm logs.db, or an Output Hub JSON export. The format is read from the content.
Re-importing the same or a newer export adds only what is new.
Exit status: 0 done, 1 done but some conversations were skipped (listed), 2 not imported (error)."""


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        'import',
        parents=[common],
        help='import a chat export, coding-agent sessions, an llm logs.db or an Output Hub JSON export',
        description='Import conversations (and Claude projects) into the library.',
        epilog=IMPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument('path', metavar='PATH', help='export zip, folder, JSON file or logs.db')
    p.add_argument('--dry-run', action='store_true', help='report what would be imported; add nothing')
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        'export', parents=[common], help='export the library as lossless JSON or Markdown notes'
    )
    p.add_argument(
        '--format', choices=('json', 'markdown'), default='json', help='json (default) or markdown'
    )
    p.add_argument('--out', metavar='DIR', required=True, help='folder to write into (created if missing)')
    p.add_argument(
        '--include-secret',
        action='store_true',
        help='also export items whose sensitivity is Secret (restricted)',
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        'backup', parents=[common], help='copy the database to a file (safe while the app runs)'
    )
    p.add_argument(
        '--out', metavar='FILE', help='backup file or existing folder (default: the automatic backup folder)'
    )
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser(
        'restore',
        parents=[common],
        help='replace the database with a backup (checked first; the old one is kept aside)',
    )
    p.add_argument('file', metavar='FILE', help='a backup made by "outputhub backup" or automatically')
    p.set_defaults(func=cmd_restore)


def cmd_import(args: argparse.Namespace) -> int:
    from ..data.importers import import_path

    open_db(args)
    with ProgressBar('Importing') as bar:
        report = import_path(
            args.path, dry_run=args.dry_run, progress=lambda done, total: bar.update(done, total)
        )
    data = report.to_dict()
    lines = [report.summary()]
    if report.unknown_content_types:
        kinds = ', '.join(f'{k} ({n})' for k, n in report.unknown_content_types.items())
        lines.append(f'kept as hidden text, unknown content types: {kinds}')
    lines.extend(f'  skipped: {e}' for e in report.errors[:20])
    if len(report.errors) > 20:
        lines.append(f'  … and {len(report.errors) - 20} more (see the import report in the app)')
    emit(args, data, '\n'.join(lines))
    return 1 if report.skipped else 0


def cmd_export(args: argparse.Namespace) -> int:
    from ..data import exporters

    open_db(args)
    fn = exporters.export_json if args.format == 'json' else exporters.export_markdown
    with ProgressBar('Exporting') as bar:
        report = fn(args.out, include_secret=args.include_secret, progress=lambda d, t: bar.update(d, t))
    text = f'Exported {plural(report.items, "item")} to {report.path}'
    if report.left_out_secret:
        text += f' ({report.left_out_secret} Secret items left out; add --include-secret to export them)'
    emit(args, report.to_dict(), text)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from ..data import backup

    open_db(args)  # also brings an old database up to date, so the backup is current
    info = backup.backup_database(args.out)
    emit(args, info.to_dict(), f'Backed up to {info.path} ({info.size / 1e6:.1f} MB)')
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from ..data import backup

    target = db_path(args)
    report = backup.restore_database(args.file, target)
    text = f'Restored {report.restored_from} into {report.database}'
    if report.replaced_saved_as:
        text += f'; the replaced database is kept as {report.replaced_saved_as}'
    if report.migrations_applied:
        text += f' (upgraded: {", ".join(report.migrations_applied)})'
    emit(args, report.to_dict(), text)
    if not getattr(args, 'json', False) and sys.stdout.isatty():
        print('Restart the app if it is running, so every window shows the restored library.')
    return 0
