"""Data-safety subcommands: ``purge`` (retention plans) and ``trash`` (list, restore, empty)."""

from __future__ import annotations

import argparse

from ..data.text import plural
from .common import emit, open_db

PURGE_EPILOG = """\
Which plan applies to an item: its own, else its category's, else the longest plan of its collections.
Favourites and items marked "keep" are never purged. Purged items go to the trash (restorable for 30
days), and each purge is logged. Exit status: 0 done (or previewed), 2 error."""


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        'purge',
        parents=[common],
        help='move items whose retention plan has expired to the trash',
        description='Apply retention plans: move every expired item to the trash and log the purge.',
        epilog=PURGE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument('--dry-run', action='store_true', help='only list what would go; change nothing')
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser('trash', parents=[common], help='list the trash, restore from it or empty it')
    p.add_argument(
        '--restore', metavar='KIND:ID', action='append', default=[], help='e.g. output:12 (repeatable)'
    )
    p.add_argument('--empty', action='store_true', help='delete everything in the trash for good')
    p.add_argument('--limit', type=int, default=50, help='how many items to list (default 50)')
    p.set_defaults(func=cmd_trash)


def cmd_purge(args: argparse.Namespace) -> int:
    from ..data import retention

    open_db(args)
    if args.dry_run:
        preview = retention.preview()
        data = {'dry_run': True, **preview.to_dict()}
        lines = [
            f'Would move {preview.total} expired items to the trash ({len(preview.exempt)} exempt: favourite or keep).'
        ]
        lines += [f'  {c.kind} {c.id}  {c.title[:60]}  [{c.plan.label}]' for c in preview.items[:50]]
        if preview.total > 50:
            lines.append(f'  … and {preview.total - 50} more (--json lists them all)')
        emit(args, data, '\n'.join(lines))
        return 0
    result = retention.purge(trigger='cli')
    counts = ', '.join(f'{n} {k}s' for k, n in result.by_kind.items() if n) or 'nothing'
    emit(
        args,
        {'dry_run': False, **result.to_dict()},
        f'Moved {result.moved} expired items to the trash ({counts}); logged as purge run {result.run_id}.',
    )
    return 0


def _parse_item(text: str) -> tuple[str, int]:
    from ..errors import ValidationError

    kind, _, item_id = text.partition(':')
    if not item_id.isdigit():
        raise ValidationError(f'Give items as KIND:ID, e.g. output:12 (not {text!r}).')
    return kind.strip().lower(), int(item_id)


def cmd_trash(args: argparse.Namespace) -> int:
    from ..data import trash

    open_db(args)
    if args.restore:
        n = trash.restore(_parse_item(x) for x in args.restore)
        emit(args, {'restored': n}, f'Restored {plural(n, "item")}.')
        return 0
    if args.empty:
        deleted = trash.empty()
        n = sum(deleted.values())
        emit(args, {'deleted': deleted}, f'Deleted {plural(n, "item")} for good.')
        return 0
    page = trash.list_trash(per_page=max(1, min(args.limit, 200)))
    data = {
        'counts': trash.counts(),
        'total': page.total,
        'items': [
            {
                'kind': i.kind,
                'id': i.id,
                'title': i.title,
                'deleted_at': i.deleted_at.isoformat(timespec='seconds'),
                'deleted_for_good_at': i.deleted_for_good_at.isoformat(timespec='seconds'),
            }
            for i in page.items
        ],
    }
    lines = [
        f'{plural(page.total, "item")} in the trash (kept {trash.TRASH_DAYS} days, then deleted for good).'
    ]
    lines += [f'  {i.kind}:{i.id}  {i.deleted_at:%Y-%m-%d}  {i.title[:70]}' for i in page.items]
    emit(args, data, '\n'.join(lines))
    return 0
