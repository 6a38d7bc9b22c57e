"""``outputhub mcp``: the MCP server over stdin/stdout, for clients that start it themselves.

Only protocol goes to stdout: logs go to stderr, and while the SDK's transport serves it points file
descriptor 1 at stderr, so a stray print cannot break the framing. The database is opened like any other
process would (WAL, writes in short ``BEGIN IMMEDIATE`` transactions), so this works while the app runs
on the same file and when it does not.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

import anyio

from ..data import db as dbmod
from . import tools
from .server import build_server

log = logging.getLogger(__name__)


def _warm_up() -> None:
    """Load the embedding model and the vector mirror now, so the first search by meaning is as fast as
    the next (a client starts this process long before the first question)."""
    from ..data import search

    try:
        search.search('warm up', mode='semantic', limit=1)
    except Exception:  # search still answers by keyword; the reason is in the log
        log.warning('The search model could not be loaded; searches match words only.', exc_info=True)


async def _serve(base_url: str, read_only: bool) -> None:
    from mcp.server.stdio import stdio_server

    server = build_server(base_url=base_url, read_only=read_only)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def run(
    db_path: Path, *, base_url: str = tools.DEFAULT_APP_URL, warm_up: bool = True, read_only: bool = False
) -> int:
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format='%(levelname)s %(name)s: %(message)s', force=True
    )
    logging.getLogger('app').setLevel(logging.INFO)
    dbmod.connect(db_path)
    log.info('Output Hub MCP server on %s%s', db_path, ' (read-only)' if read_only else '')
    if warm_up:
        threading.Thread(target=_warm_up, name='outputhub-mcp-warm-up', daemon=True).start()
    try:
        anyio.run(_serve, base_url, read_only)
    except KeyboardInterrupt:
        pass
    finally:
        dbmod.close()
    return 0
