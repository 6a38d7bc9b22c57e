"""Data subcommands: ``stats`` and ``capture``."""

from __future__ import annotations

import argparse
import sys

from .common import emit, open_db


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser('stats', parents=[common], help='count what the database holds')
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser(
        'capture',
        parents=[common],
        help='store one captured output',
        description='Store one output (and its prompt, as a prompt version). Use "-" as TEXT to read stdin.',
    )
    p.add_argument(
        '--output', required=True, metavar='TEXT', help='the output text (Markdown); "-" reads stdin'
    )
    p.add_argument('--prompt', default='', metavar='TEXT', help='the prompt that produced it')
    p.add_argument('--title', default='', help='title (default: from the first line)')
    p.add_argument('--model', default=None, help='model name, e.g. gpt-4o (unknown names are added)')
    p.add_argument('--tag', action='append', default=[], metavar='TAG', help='a tag (repeatable)')
    p.add_argument(
        '--collection', action='append', default=[], metavar='NAME', help='a collection (repeatable)'
    )
    p.add_argument('--category', default=None)
    p.add_argument('--rating', type=int, default=None, choices=range(1, 6), metavar='1-5')
    p.add_argument('--favourite', action='store_true')
    p.add_argument('--notes', default='')
    p.add_argument('--url', default='', help='where it came from (a chat URL)')
    p.set_defaults(func=cmd_capture)


def cmd_stats(args: argparse.Namespace) -> int:
    from ..data import stats

    open_db(args)
    emit(args, stats.counts())
    return 0


def cmd_capture(args: argparse.Namespace) -> int:
    from ..data import outputs

    text = sys.stdin.read() if args.output == '-' else args.output
    open_db(args)
    out = outputs.capture_output(
        outputs.CaptureData(
            body=text,
            prompt=args.prompt,
            title=args.title,
            model=args.model,
            tags=args.tag,
            collections=args.collection,
            category=args.category,
            rating=args.rating,
            favourite=args.favourite,
            notes=args.notes,
            source_url=args.url,
        )
    )
    emit(
        args,
        {
            'id': out.id,
            'title': out.title,
            'prompt_version_id': out.prompt_version_id,
            'url': f'/outputs/{out.id}',
        },
        text=f'Captured output {out.id}: {out.title}',
    )
    return 0
