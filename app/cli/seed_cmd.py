"""``outputhub seed``: fill a database with believable demo data of any size (demos, benchmarks)."""

from __future__ import annotations

import argparse
import time

from .common import ProgressBar, emit, open_db


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a whole number') from None
    if value < 0:
        raise argparse.ArgumentTypeError('must be 0 or more')
    return value


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        'seed',
        parents=[common],
        help='add believable demo data (any size)',
        description='Add demo outputs, conversations, prompts, agents and everything around them to a '
        'database. The same --seed on the same starting database gives identical data.',
    )
    p.add_argument(
        '--outputs', type=_non_negative, default=200, metavar='N', help='outputs to add (default 200)'
    )
    p.add_argument(
        '--conversations',
        type=_non_negative,
        default=None,
        metavar='N',
        help='conversations to add, about ten messages each (default: outputs / 5)',
    )
    p.add_argument('--seed', type=int, default=42, metavar='S', help='random seed (default 42)')
    p.set_defaults(func=cmd_seed)


def cmd_seed(args: argparse.Namespace) -> int:
    from ..data import demo

    open_db(args)
    started = time.monotonic()
    with ProgressBar('Seeding') as bar:
        counts = demo.seed(
            outputs=args.outputs, conversations=args.conversations, seed=args.seed, progress=bar.update
        )
    seconds = time.monotonic() - started
    emit(
        args,
        counts,
        text=f'Added {counts["outputs"]} outputs, {counts["conversations"]} conversations and '
        f'{counts["messages"]} messages ({sum(counts.values())} rows) in {seconds:.1f} s.',
    )
    return 0
