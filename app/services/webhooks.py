"""Background service: webhooks (being built)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..context import AppContext


def start(ctx: AppContext) -> None:
    return None


def stop(ctx: AppContext) -> None:
    return None
