"""``outputhub prompt git DIR`` (also ``outputhub prompts git``): the prompt and agent library as a git history."""

from __future__ import annotations

import argparse

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
    p.add_argument('dir', metavar='DIR', help='the git repository (made when it is not one)')
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
    p.set_defaults(func=cmd_git)


def cmd_git(args: argparse.Namespace) -> int:
    from ..data import prompt_git

    open_db(args)
    report = prompt_git.write_history(args.dir, include_secret=args.include_secret, author=args.author)
    lines = []
    if report.created_repo:
        lines.append(f'Made a new git repository in {report.path}.')
    if report.commits:
        lines.append(
            f'Committed {report.commits} new version{"s" if report.commits != 1 else ""} '
            f'({len(report.files)} file{"s" if len(report.files) != 1 else ""}) to {report.path}.'
        )
    else:
        lines.append(f'Nothing new: {report.path} already has every version.')
    if report.already:
        lines.append(f'{report.already} version{"s were" if report.already != 1 else " was"} already there.')
    if report.left_out_secret:
        n = report.left_out_secret
        lines.append(
            f'Left out {n} Secret prompt{"s" if n != 1 else ""} or agent{"s" if n != 1 else ""} '
            '(--include-secret writes them).'
        )
    emit(args, report.to_dict(), '\n'.join(lines))
    return 0
