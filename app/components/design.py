"""One place for the look: accent colour, the colour and icon of each kind of thing, spacing."""

from __future__ import annotations

from ..data import kinds
from ..data.lookups import is_color

ACCENT = '#4f46e5'  # indigo: buttons, links, focus

# The same colour for a kind everywhere: chips, search results, the graph.
KIND_COLORS = {
    'output': '#2563eb',
    'conversation': '#059669',
    'message': '#10b981',
    'prompt': '#7c3aed',
    'agent': '#db2777',
    'tag': '#d97706',
    'collection': '#0891b2',
    'category': '#64748b',
    'model': '#475569',
}

KIND_ICONS = {
    'output': 'article',
    'conversation': 'forum',
    'message': 'chat_bubble_outline',
    'prompt': 'terminal',
    'agent': 'smart_toy',
    'tag': 'sell',
    'collection': 'folder',
    'category': 'category',
    'model': 'memory',
    'accuracy': 'verified',
    'sensitivity': 'shield',
    'retention': 'schedule',
    'provider': 'cloud',
    'source': 'input',
}

# Labels of every kind in the registry, and of categories (a lookup that pages show like a kind).
KIND_LABELS = {k.key: (k.label, k.plural_label) for k in kinds.ALL.values()} | {
    'category': ('Category', 'Categories')
}

# Layout tokens: one place for the class strings pages would otherwise repeat.
PAGE_MAX_WIDTH = 'max-w-6xl'  # the content column of every page but the wide ones (chat, graph)
DETAIL_GRID = 'w-full gap-6 grid-cols-1 lg:grid-cols-[minmax(0,1fr)_20rem]'  # a detail page: body | relations
SECTION_LABEL = 'text-sm font-medium oh-muted'  # the small heading over a field group or a picker
FILTER_SELECT = 'min-w-[12rem] grow sm:grow-0'  # a select in a row of filters or choices


def kind_color(kind: str) -> str:
    return KIND_COLORS.get(kind, ACCENT)


def row_color(color: str | None, fallback: str) -> str:
    """A lookup row's own colour where it is a hex colour, else ``fallback``: colours go into style
    attributes, and a row written before colours were checked may hold any text."""
    return color if is_color(color) else fallback


def kind_icon(kind: str) -> str:
    return KIND_ICONS.get(kind, 'circle')


def kind_url(kind: str, item_id: int, conversation_id: int | None = None) -> str:
    """The page of any item; a message opens its conversation scrolled to it."""
    if kind in kinds.ALL:
        return kinds.ALL[kind].url(item_id, conversation_id)
    plural = KIND_LABELS.get(kind, (kind, kind + 's'))[1].lower()
    return f'/{plural}/{item_id}'
