"""Settings → Integrations panel: notes_folder (being built)."""

from __future__ import annotations

from ..context import AppContext


def register(ctx: AppContext) -> None:
    return None
