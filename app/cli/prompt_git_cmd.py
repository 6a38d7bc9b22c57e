"""``outputhub prompt git DIR`` (also ``outputhub prompts git``): the prompt and agent library as a git history."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ValidationError
from .common import emit, open_db


def register_into(cmds: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``git`` to the ``prompt`` group's actions."""
    from ..data.prompt_git import DEFAULT_AUTHOR

    p = cmds.add_parser(
        'git',
        parents=[common],
        help='write prompts and agents to a git repository: one commit per version, only new ones',
        description='Writes one Markdown file per saved prompt and per agent into DIR (git init when it is '
        'not a repository) and one commit per version, oldest first, with the version note as the message '
        'and the version date as the commit date. Run it again to commit only what is new; push with git.',
    )
    p.add_argument('dir', metavar='DIR', nargs='?', help='the git repository (made when it is not one)')
    p.add_argument(
        '--include-secret',
        action='store_true',
        help='also write Secret prompts and agents (left out otherwise)',
    )
    p.add_argument(
        '--author',
        default=DEFAULT_AUTHOR,
        metavar='"NAME <EMAIL>"',
        help=f'author and committer of the commits (default: {DEFAULT_AUTHOR})',
    )
    keep = p.add_mutually_exclusive_group()
    keep.add_argument(
        '--keep-in-step',
        action='store_true',
        help='also remember DIR: while the app runs it commits new versions there every few minutes',
    )
    keep.add_argument(
        '--stop-keeping', action='store_true', help='forget the remembered repository (no DIR needed)'
    )
    p.set_defaults(func=cmd_git)


def cmd_git(args: argparse.Namespace) -> int:
    from ..data import prompt_git

    open_db(args)
    if args.stop_keeping:
        was = prompt_git.kept()
        prompt_git.stop_keeping()
        text = f'The app no longer keeps {was["dir"]} in step.' if was else 'No repository was kept in step.'
        emit(args, {'kept': None}, text)
        return 0
    if not args.dir:
        raise ValidationError('Name the folder to write to: outputhub prompts git DIR.')
    report = prompt_git.write_history(args.dir, include_secret=args.include_secret, author=args.author)
    lines = []
    if args.keep_in_step:
        prompt_git.keep_in_step(report.path, include_secret=args.include_secret, author=args.author)
    if report.created_repo:
        lines.append(f'Made a new git repository in {report.path}.')
    if report.commits:
        lines.append(
            f'Committed {report.commits} new version{"s" if report.commits != 1 else ""} '
            f'({len(report.files)} file{"s" if len(report.files) != 1 else ""}) to {report.path}.'
        )
    elif not (report.removed or report.restored):
        lines.append(f'Nothing new: {report.path} already has every version.')
    if report.removed:
        n = report.removed
        lines.append(
            f'Removed {n} file{"s" if n != 1 else ""} (trashed, deleted or Secret), one commit each.'
        )
    if report.restored:
        n = report.restored
        lines.append(f'Added back {n} restored file{"s" if n != 1 else ""}, one commit each.')
    if report.already:
        lines.append(f'{report.already} version{"s were" if report.already != 1 else " was"} already there.')
    if report.left_out_secret:
        n = report.left_out_secret
        lines.append(
            f'Left out {n} Secret prompt{"s" if n != 1 else ""} or agent{"s" if n != 1 else ""} '
            '(--include-secret writes them).'
        )
    kept = prompt_git.kept()
    if kept and Path(kept['dir']) == report.path:
        lines.append(
            'While the app runs it commits new versions here every few minutes (--stop-keeping ends it).'
        )
    emit(
        args,
        report.to_dict() | {'kept_in_step': bool(kept and Path(kept['dir']) == report.path)},
        '\n'.join(lines),
    )
    return 0
