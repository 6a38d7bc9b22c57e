"""Pages: each module exposes ``register(ctx)``, which adds its pages (``@shell.page``: sub pages of the one
shell of a browser tab, each also a deep link) and its navigation entry."""

from __future__ import annotations

import importlib

from ..components import framework
from ..context import AppContext
from . import nav, shell

# Order matters only for the drawer (each page sets its own order value too).
PAGE_MODULES = [
    'app.pages.home',
    'app.pages.outputs',
    'app.pages.search',
    'app.pages.prompts',
    'app.pages.agents',
    'app.pages.conversations',
    'app.pages.lookups',
    'app.pages.graph',
    'app.pages.dashboard',
    'app.pages.settings',  # before pages that add settings sections
    'app.pages.trash',  # /trash and the Retention settings tab
    'app.pages.imports',  # /import
    'app.pages.backups',  # the Export & backup settings tab
    'app.pages.login',
    'app.pages.access',
    'app.pages.chat',
    'app.pages.providers',  # the Providers settings tab
    'app.pages.integrations',  # the Integrations settings tab (webhooks, notes folder); panels add themselves
    'app.pages.webhooks',  # its panel on the Integrations tab
    'app.pages.notes_folder',  # the notes-folder and prompts-git panels on the Integrations tab
]


def register_all(ctx: AppContext) -> None:
    framework.apply()
    nav.reset()
    shell.reset()
    for name in PAGE_MODULES:
        importlib.import_module(name).register(ctx)
