"""Background service: chat replies still streaming when the app quits are stopped and keep what
arrived (``app.services.chat`` owns the replies; this only ties them to the app's lifecycle).

Listed in ``app.server.SERVICE_MODULES`` after the others, so it stops first, before the database
closes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import chat

if TYPE_CHECKING:
    from ..context import AppContext


def start(ctx: AppContext) -> None:
    """Nothing to start: a reply's task begins when someone sends a message."""


async def stop(ctx: AppContext) -> None:
    await chat.stop_all()
