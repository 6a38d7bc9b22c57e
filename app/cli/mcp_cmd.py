"""``outputhub mcp``: serve the library to MCP clients (Claude Desktop, Claude Code, Cursor) over stdio."""

from __future__ import annotations

import argparse

from .common import db_path


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        'mcp',
        parents=[common],
        help='serve the library to an MCP client (Claude Desktop, Claude Code, Cursor) over stdio',
        description='An MCP server on stdin/stdout: tools to search, read and save, and the saved prompts '
        "as MCP prompts. Start it from the client's configuration; it works whether the app is running "
        'on the same database or not.',
    )
    p.add_argument(
        '--app-url',
        default='http://127.0.0.1:8080',
        metavar='URL',
        help='where the app runs, for the links in results (default http://127.0.0.1:8080)',
    )
    p.add_argument(
        '--read-only',
        action='store_true',
        help='the assistant may search and read but not save, tag, link or rate',
    )
    p.add_argument(
        '--no-warm-up', action='store_true', help='do not load the search model until the first search'
    )
    p.set_defaults(func=cmd_mcp)


def cmd_mcp(args: argparse.Namespace) -> int:
    from ..mcp import stdio

    return stdio.run(
        db_path(args), base_url=args.app_url, warm_up=not args.no_warm_up, read_only=args.read_only
    )
