"""What pages and API routes are given when they are built: settings and the running services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .config import Settings

if TYPE_CHECKING:  # types only: this module stays light, and the services name AppContext in their hints
    from .auth import Gate
    from .mcp.http import McpEndpoint
    from .services.backups import BackupScheduler
    from .services.housekeeping import Housekeeper
    from .services.indexing import Indexer
    from .services.jobs import JobSlot
    from .services.notes_sync import NotesSync
    from .services.prompt_git_sync import PromptGitSync
    from .services.session_watch import SessionWatchService
    from .services.touches import TouchWorker
    from .services.webhooks import WebhookDelivery


@dataclass
class AppContext:
    """The composition root's product (``app.server.build``). The background services listed in
    ``SERVICE_MODULES`` attach themselves here when they start; None means not running."""

    settings: Settings
    gate: Gate | None = None  # who may reach the app (LAN login, devices, API tokens)
    indexer: Indexer | None = None  # background embedding indexer (search)
    backups: BackupScheduler | None = None  # automatic backups with rotation
    housekeeping: Housekeeper | None = None  # daily retention purge and trash emptying
    jobs: JobSlot | None = None  # the one slot for long work started from a page (import, export, restore)
    touches: TouchWorker | None = None  # the writer of "last used" stamps of devices and tokens
    session_watch: SessionWatchService | None = None  # keeps coding-agent sessions as they are written
    mcp: McpEndpoint | None = None  # the MCP server at /mcp (streamable HTTP)
    prompt_git: PromptGitSync | None = None  # keeps the prompt history repository in step
    notes_sync: NotesSync | None = None  # keeps the synced notes folder in step
    webhooks: WebhookDelivery | None = None  # sends queued webhook deliveries

    @property
    def db_label(self) -> str:
        return self.settings.db_path.name
