"""Background service: the search indexer thread (embeds new and edited outputs and messages).

Listed in ``app.server.SERVICE_MODULES``. ``OUTPUTHUB_INDEXER=0`` keeps it from starting (tests set
it so that no page test loads the embedding model); ``ctx.indexer`` is then None.
"""

from __future__ import annotations

import logging
import os

from ..context import AppContext
from ..data.embeddings import Indexer

log = logging.getLogger(__name__)

ENV_SWITCH = 'OUTPUTHUB_INDEXER'


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, '1').strip().lower() not in ('0', 'off', 'false', 'no')


def start(ctx: AppContext) -> None:
    if not enabled():
        log.info('Search indexer not started (%s=%s)', ENV_SWITCH, os.environ.get(ENV_SWITCH))
        ctx.indexer = None
        return
    indexer = Indexer()
    indexer.start()
    ctx.indexer = indexer


def stop(ctx: AppContext) -> None:
    indexer = ctx.indexer
    if indexer is not None:
        indexer.stop()
        ctx.indexer = None
