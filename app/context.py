"""What pages and API routes are given when they are built: settings and the running services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import Settings


@dataclass
class AppContext:
    """The composition root's product. Features attach their long-lived services here."""

    settings: Settings
    indexer: Any = None  # background embedding indexer (search), when running
    backups: Any = None  # automatic backup scheduler, when running
    housekeeping: Any = None  # daily retention purge and trash emptying, when running
    gate: Any = None  # app.auth.Gate: who may reach the app (LAN login, devices, API tokens)

    @property
    def db_label(self) -> str:
        return self.settings.db_path.name
