"""The ``prompt`` command group: list, show, add, edit (a new version), diff, restore and fill prompts."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import NotFound, ValidationError
from . import prompt_git_cmd
from .common import emit, open_db

SORTS = ('updated_at', 'created_at', 'title', 'use_count', 'last_used_at', 'rating')


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser(
        'prompt',
        aliases=['prompts'],
        help='prompts and their versions: list, show, add, edit, diff, restore, fill, git',
        description='Prompts keep every version. Editing makes a new version; nothing is overwritten.',
    )
    cmds = group.add_subparsers(dest='prompt_command', metavar='ACTION', required=True)

    p = cmds.add_parser('list', parents=[common], help='list prompts (newest first)')
    p.add_argument('--text', default='', help='only prompts whose title contains this')
    p.add_argument('--sort', choices=SORTS, default='updated_at', help='sort order (default updated_at)')
    p.add_argument('--asc', action='store_true', help='ascending instead of descending')
    p.add_argument('--favourites', action='store_true', help='favourites only')
    p.add_argument(
        '--from-captures',
        action='store_true',
        help='the prompt texts that came with captures and chat questions, not the saved library',
    )
    p.add_argument('--limit', type=int, default=50, metavar='N', help='at most N prompts (default 50)')
    p.set_defaults(func=cmd_list)

    p = cmds.add_parser('save', parents=[common], help='save a prompt from captures and chats to the library')
    p.add_argument('id', type=int)
    p.set_defaults(func=cmd_save)

    p = cmds.add_parser('show', parents=[common], help='one prompt: its text, variables and versions')
    p.add_argument('id', type=int)
    p.add_argument('--version', type=int, metavar='N', help='show version N (default: the current one)')
    p.set_defaults(func=cmd_show)

    p = cmds.add_parser('add', parents=[common], help='add a prompt (its first version)')
    p.add_argument('--title', default='', help='title (default: from the first line)')
    p.add_argument('--body', required=True, metavar='TEXT', help='the prompt text; "-" reads stdin')
    p.add_argument('--note', default=None, help='a note on this first version')
    p.set_defaults(func=cmd_add)

    p = cmds.add_parser('edit', parents=[common], help='save new text as a new version')
    p.add_argument('id', type=int)
    p.add_argument('--body', required=True, metavar='TEXT', help='the new text; "-" reads stdin')
    p.add_argument('--note', default=None, help='what changed and why')
    p.set_defaults(func=cmd_edit)

    p = cmds.add_parser('diff', parents=[common], help='word-level diff between two versions')
    p.add_argument('id', type=int)
    p.add_argument('a', type=int, metavar='A', help='the older version number')
    p.add_argument('b', type=int, metavar='B', help='the newer version number')
    p.add_argument('--color', choices=('auto', 'always', 'never'), default='auto')
    p.set_defaults(func=cmd_diff)

    p = cmds.add_parser('restore', parents=[common], help='make a new version equal to an old one')
    p.add_argument('id', type=int)
    p.add_argument('version', type=int, metavar='N')
    p.add_argument('--note', default=None)
    p.set_defaults(func=cmd_restore)

    p = cmds.add_parser('fill', parents=[common], help='print the text with its {{variables}} filled in')
    p.add_argument('id', type=int)
    p.add_argument('--version', type=int, metavar='N', help='fill version N (default: the current one)')
    p.add_argument('--var', action='append', default=[], metavar='NAME=VALUE', help='a value (repeatable)')
    p.set_defaults(func=cmd_fill)
    prompt_git_cmd.register_into(cmds, common)


def _text(value: str) -> str:
    return sys.stdin.read() if value == '-' else value


def _pick_version(prompts: Any, prompt_id: int, number: int | None) -> Any:
    if number is not None:
        return prompts.version_by_number(prompt_id, number)
    version = prompts.current_version(prompt_id) or next(iter(prompts.versions(prompt_id)), None)
    if version is None:
        raise NotFound(f'Prompt {prompt_id} has no text yet.')
    return version


def _version_json(v: Any) -> dict[str, Any]:
    return {'id': v.id, 'number': v.number, 'note': v.note, 'created_at': v.created_at, 'body': v.body}


def cmd_list(args: argparse.Namespace) -> int:
    from ..data import entities
    from ..data.listing import MAX_PER_PAGE, ListParams

    open_db(args)
    params = ListParams(
        text=args.text,
        sort=args.sort,
        desc=not args.asc,
        favourite=True if args.favourites else None,
        unsaved=args.from_captures,
        per_page=max(1, min(args.limit, MAX_PER_PAGE)),
    )
    page = entities.list_items('prompt', params)
    rows = [
        {
            'id': p.id,
            'title': p.title,
            'version': p.current.number if p.current else None,
            'use_count': p.use_count,
            'favourite': p.favourite,
            'rating': p.rating,
            'category': p.category_row.name if p.category_row else None,
            'tags': [t.name for t in p.tags],
            'updated_at': p.updated_at,
            'url': f'/prompts/{p.id}',
        }
        for p in page.items
    ]
    lines = [
        f'{r["id"]:>5}  v{r["version"] or "-":<3} {"★" if r["favourite"] else " "} '
        f'used {r["use_count"]:>3}  {r["title"]}'
        for r in rows
    ]
    if page.total > len(rows):
        lines.append(f'({len(rows)} of {page.total}; use --limit or --text)')
    empty = 'No prompts from captures or chats.' if args.from_captures else 'No prompts yet.'
    emit(args, {'total': page.total, 'prompts': rows}, '\n'.join(lines) or empty)
    return 0


def cmd_save(args: argparse.Namespace) -> int:
    from ..data import prompts

    open_db(args)
    prompt = prompts.save_to_library(args.id)
    emit(
        args, {'id': prompt.id, 'title': prompt.title, 'saved': True}, f'Saved to the library: {prompt.title}'
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from ..data import prompts, versioning

    open_db(args)
    prompt = prompts.get_prompt(args.id)
    stats = prompts.version_stats(args.id)
    version = _pick_version(prompts, args.id, args.version)
    problem = versioning.template_problem(version.body)
    variables = [] if problem else versioning.template_variables(version.body)
    data = {
        'id': prompt.id,
        'title': prompt.title,
        'current_version': next((s.version.number for s in stats if s.is_current), None),
        'in_trash': prompt.deleted_at is not None,
        'use_count': prompt.use_count,
        'version': _version_json(version),
        'variables': [v.to_json() for v in variables],
        'template_problem': problem,
        'versions': [s.to_json() for s in stats],
        'url': f'/prompts/{prompt.id}?v={version.number}',
    }
    current = data['current_version']
    lines = [
        f'{prompt.title}  (prompt {prompt.id}, version {version.number} of {len(stats)}'
        + (', current)' if version.number == current else f'; current is v{current})'),
    ]
    if version.note:
        lines.append(f'Note: {version.note}')
    lines += ['', version.body, '']
    if problem:
        lines.append(f'Template problem: {problem}')
    elif variables:
        lines.append(
            'Variables: '
            + ', '.join(
                v.name + (f' (default: {v.default})' if v.default is not None else '') for v in variables
            )
        )
    lines.append('Versions:')
    for s in stats:
        rating = f', avg rating {s.avg_rating}' if s.avg_rating is not None else ''
        lines.append(
            f'  v{s.version.number}{" *" if s.is_current else "  "} {s.version.created_at:%Y-%m-%d %H:%M}  '
            f'{s.outputs} outputs{rating}, {s.messages} messages'
            + (f'  — {s.version.note}' if s.version.note else '')
        )
    emit(args, data, '\n'.join(lines))
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from ..data import prompts

    body = _text(args.body)
    open_db(args)
    prompt = prompts.create_prompt(args.title, body, note=args.note)
    emit(
        args,
        {'id': prompt.id, 'title': prompt.title, 'version': 1, 'url': f'/prompts/{prompt.id}'},
        f'Added prompt {prompt.id}: {prompt.title}',
    )
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    from ..data import prompts

    body = _text(args.body)
    open_db(args)
    before = prompts.current_version(args.id)
    version = prompts.new_version(args.id, body, note=args.note)
    created = before is None or version.id != before.id
    emit(
        args,
        {'id': args.id, 'version': version.number, 'created': created, 'url': f'/prompts/{args.id}'},
        f'Saved version {version.number} of prompt {args.id}.'
        if created
        else f'No change: version {version.number} already has that text.',
    )
    return 0


def _words(n: int) -> str:
    return f'{n} word' if n == 1 else f'{n} words'


def _use_color(choice: str) -> bool:
    return choice == 'always' or (choice == 'auto' and sys.stdout.isatty())


def cmd_diff(args: argparse.Namespace) -> int:
    from ..data import prompts

    open_db(args)
    diff = prompts.diff_versions(args.id, args.a, args.b)
    text = diff.plain(color=_use_color(args.color)) if diff.changed else 'No differences.'
    if diff.changed:
        text += f'\n\n(+{_words(diff.added_words)}, -{_words(diff.removed_words)})'
    emit(args, {'id': args.id, 'from': args.a, 'to': args.b, **diff.to_json()}, text)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from ..data import prompts

    open_db(args)
    before = prompts.current_version(args.id)
    version = prompts.restore_version(args.id, args.version, note=args.note)
    created = before is None or version.id != before.id
    emit(
        args,
        {'id': args.id, 'version': version.number, 'created': created, 'restored_from': args.version},
        f'Restored version {args.version} as version {version.number}.'
        if created
        else f'No change: the current version already has the text of version {args.version}.',
    )
    return 0


def cmd_fill(args: argparse.Namespace) -> int:
    from ..data import prompts, versioning

    values: dict[str, str] = {}
    for item in args.var:
        name, sep, value = item.partition('=')
        if not sep or not name.strip():
            raise ValidationError(f'--var takes NAME=VALUE, not {item!r}.')
        values[name.strip()] = value
    open_db(args)
    version = _pick_version(prompts, args.id, args.version)
    known = {v.name for v in versioning.template_variables(version.body)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValidationError(
            f'This prompt has no variable called {unknown[0]!r}'
            + (f'; it has {", ".join(sorted(known))}.' if known else '; it has none.')
        )
    text = versioning.fill_template(version.body, values)
    emit(args, {'id': args.id, 'version': version.number, 'text': text}, text)
    return 0
