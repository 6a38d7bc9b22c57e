"""Settings → Integrations: the ways the library reaches other tools (outgoing webhooks, the synced notes
folder, prompts as a git history). Each integration adds its panel with ``add_panel`` from its own module;
the tab is shown to this computer only (``roles.is_this_computer``: not even to an administrator device, since
these send the library to other addresses and folders), and the services behind the panels refuse anyone
else on the server too."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from nicegui import ui

from .. import roles
from ..context import AppContext


@dataclass(frozen=True)
class Panel:
    key: str
    build: Callable[[AppContext], object]  # may be async
    order: int = 100


_panels: dict[str, Panel] = {}


def add_panel(panel: Panel) -> None:
    _panels[panel.key] = panel


def panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))


async def integrations_tab(ctx: AppContext) -> None:
    shown = panels()
    if not shown:
        ui.label('No integrations are available.').classes('text-grey-7')
        return
    with ui.column().classes('w-full gap-6'):
        for panel in shown:
            result = panel.build(ctx)
            if inspect.isawaitable(result):
                await result


def register(ctx: AppContext) -> None:
    from . import settings  # here, not at the top: see CONTRIBUTING (page modules are reloaded in tests)

    settings.add_section(
        settings.Section(
            'integrations', 'Integrations', 'hub', integrations_tab, order=75, show_to=roles.is_this_computer
        )
    )
