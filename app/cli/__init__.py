"""The ``outputhub`` command: run the app (default) or one of the scripting subcommands."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from .. import config
from ..data.db import DatabaseUnavailable
from ..errors import UserError
from .common import common_parent

# Each module defines ``register(subparsers, common)`` and adds its subcommands.
COMMAND_MODULES = [
    'app.cli.data_cmds',
    'app.cli.seed_cmd',
    'app.cli.search_cmds',
    'app.cli.prompt_cmds',
    'app.cli.ask_cmd',
    'app.cli.lan_cmds',
    'app.cli.io_cmds',
    'app.cli.safety_cmds',
    'app.cli.mcp_cmd',
    'app.cli.watch_cmd',
    'app.cli.notes_folder_cmd',
]


def prepare_process() -> None:
    """Before anything is opened: files this process makes are the user's alone, and so is the data
    directory (it holds the library, its backups, keys and NiceGUI's storage)."""
    config.restrict_new_files()
    config.make_private(config.data_dir())


def build_parser() -> argparse.ArgumentParser:
    from .serve import add_serve_arguments

    parser = argparse.ArgumentParser(
        prog='outputhub',
        description='Output Hub: a local-first knowledge base for your LLM prompts, outputs and conversations. '
        'Without a subcommand it starts the app.',
    )
    add_serve_arguments(parser)
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    common = common_parent()
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format='%(levelname)s %(name)s: %(message)s')
    prepare_process()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, 'func', None) is None:
            from .serve import serve

            return serve(args) or 0
        return args.func(args) or 0
    except (UserError, DatabaseUnavailable) as exc:
        print(f'outputhub: error: {exc}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print('outputhub: interrupted', file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
