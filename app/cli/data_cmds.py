"""Data subcommands: ``stats`` (and, as they land, ``seed`` and ``capture``)."""

from __future__ import annotations

import argparse

from .common import emit, open_db


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser('stats', parents=[common], help='count what the database holds')
    p.set_defaults(func=cmd_stats)


def cmd_stats(args: argparse.Namespace) -> int:
    from ..data import stats

    open_db(args)
    emit(args, stats.counts())
    return 0
