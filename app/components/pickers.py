"""Ready-made relation pickers for every relation an item can have (all built on RelationPicker)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..data import agents, entities, lookups, prompts, relations
from ..data.listing import ListParams
from .design import kind_url
from .relation_picker import Option, RelationPicker
from .secret import hide_restricted, viewer_sees_restricted, visible

# ``current`` of a picker: what the page read with the item (``OutputDetail`` has every relation), so the
# first build does not ask the database again. UNREAD: the picker loads it itself.
UNREAD: Any = object()


def _lookup_option(key: str, row) -> Option:
    url = f'/{"tags" if key == "tag" else "collections"}/{row.id}' if key in ('tag', 'collection') else None
    return Option(row.id, getattr(row, 'label', None) or row.name, url, getattr(row, 'color', None))


def _initial(current: Any, options: Callable[[Any], list[Option]]) -> list[Option] | None:
    return None if current is UNREAD else options(current)


def tags_picker(
    kind: str, item_id: int, on_change: Callable[[], object] | None = None, *, current: Any = UNREAD
) -> RelationPicker:
    """``current``: the item's tags, when the page has them."""

    def options(tags: list) -> list[Option]:
        return [_lookup_option('tag', t) for t in tags]

    return RelationPicker(
        'Tags',
        'tag',
        initial=_initial(current, options),
        load=lambda: options(relations.tags_for(kind, [item_id]).get(item_id, [])),
        search=lambda text: [_lookup_option('tag', t) for t in lookups.search('tag', text)],
        add=lambda o: relations.add_tags(kind, [item_id], [o.id]),
        remove=lambda o: relations.remove_tags(kind, [item_id], [o.id]),
        create=lambda name: _lookup_option('tag', lookups.get_or_create('tag', name)),
        empty_text='No tags',
        on_change=on_change,
    )


def collections_picker(
    kind: str, item_id: int, on_change: Callable[[], object] | None = None, *, current: Any = UNREAD
) -> RelationPicker:
    """``current``: the item's collections, when the page has them."""

    def options(rows: list) -> list[Option]:
        return [_lookup_option('collection', c) for c in rows]

    return RelationPicker(
        'Collections',
        'collection',
        initial=_initial(current, options),
        load=lambda: options(relations.collections_for(kind, [item_id]).get(item_id, [])),
        search=lambda text: [_lookup_option('collection', c) for c in lookups.search('collection', text)],
        add=lambda o: relations.add_to_collection(kind, [item_id], o.id),
        remove=lambda o: relations.remove_from_collection(kind, [item_id], o.id),
        create=lambda name: _lookup_option('collection', lookups.get_or_create('collection', name)),
        empty_text='In no collection',
        on_change=on_change,
    )


# lookup -> the list filter (URL parameter) that selects items with that value
_LIST_FILTER = {'category': 'categories', 'model': 'models', 'sensitivity': 'sensitivities'}


def field_picker(
    kind: str,
    item_id: int,
    field: str,
    lookup: str,
    label: str,
    *,
    creatable: bool = False,
    on_change: Callable[[], object] | None = None,
    current: Any = UNREAD,
) -> RelationPicker:
    """A single-valued lookup on the item (category, model, accuracy, sensitivity, retention). Its chip
    opens the list of this kind of item filtered by that value, where lists can filter by it.
    ``current``: the lookup row set on the item (or None), when the page has it."""
    param = _LIST_FILTER.get(lookup)

    def options(row) -> list[Option]:
        if row is None:
            return []
        option = _lookup_option(lookup, row)
        if param:
            option = replace(option, url=f'/{kind}s?{param}={row.id}')
        return [option]

    def load() -> list[Option]:
        item = entities.get_item(kind, item_id)
        row_id = getattr(item, f'{field}_id')
        return options(lookups.get(lookup, row_id) if row_id else None)

    return RelationPicker(
        label,
        lookup,
        initial=_initial(current, options),
        load=load,
        search=lambda text: [_lookup_option(lookup, r) for r in lookups.search(lookup, text)],
        add=lambda o: entities.update_item(kind, item_id, **{field: o.id}),
        remove=lambda o: entities.update_item(kind, item_id, **{field: None}),
        create=(lambda name: _lookup_option(lookup, lookups.get_or_create(lookup, name)))
        if creatable
        else None,
        single=True,
        empty_text='Not set',
        on_change=on_change,
    )


def related_outputs_picker(
    output_id: int, on_change: Callable[[], object] | None = None, *, current: Any = UNREAD
) -> RelationPicker:
    """``current``: the outputs linked to this one, when the page has them."""

    def options(rows: list) -> list[Option]:
        # a LAN device: no Secret ones
        return [Option(o.id, o.title or f'Output {o.id}', kind_url('output', o.id)) for o in visible(rows)]

    def search(text: str) -> list[Option]:
        params = hide_restricted(ListParams(text=text, per_page=10, sort='updated_at'))
        page = entities.list_items('output', params)
        return [
            Option(o.id, o.title or f'Output {o.id}', kind_url('output', o.id))
            for o in page.items
            if o.id != output_id
        ]

    return RelationPicker(
        'Related outputs',
        'output',
        initial=_initial(current, options),
        load=lambda: options(relations.related_outputs(output_id)),
        search=search,
        add=lambda o: relations.link_outputs(output_id, o.id),
        remove=lambda o: relations.unlink_outputs(output_id, o.id),
        empty_text='None linked',
        on_change=on_change,
    )


def _prompt_version_option(v) -> Option:
    current = ' (current)' if v.prompt.current_version_id == v.id else ''
    return Option(
        v.id,
        f'{v.prompt.title} · v{v.number}{current}',
        f'/prompts/{v.prompt_id}?v={v.number}',
        hint=v.body[:120],
    )


def _agent_version_option(v) -> Option:
    current = ' (current)' if v.agent.current_version_id == v.id else ''
    return Option(
        v.id,
        f'{v.agent.name} · v{v.number}{current}',
        f'/agents/{v.agent_id}?v={v.number}',
        hint=v.system_prompt[:120],
    )


def version_picker(
    kind: str,
    item_id: int,
    which: str,
    *,
    on_change: Callable[[], object] | None = None,
    current: Any = UNREAD,
) -> RelationPicker:
    """The prompt version (``which='prompt'``) or agent version (``'agent'``) that produced an output.
    ``current``: that version and its prompt or agent as a pair (or None), when the page has them."""
    from ..data import outputs

    field = f'{which}_version'

    def options(pair) -> list[Option]:
        if pair is None:
            return []
        v, parent = pair
        # a LAN device without permission: not even a Secret prompt's title
        if not visible([parent]):
            return []
        if which == 'prompt':
            v.prompt = parent
            return [_prompt_version_option(v)]
        v.agent = parent
        return [_agent_version_option(v)]

    def load() -> list[Option]:
        item = entities.get_item(kind, item_id)
        vid = getattr(item, f'{field}_id')
        if not vid:
            return []
        if which == 'prompt':
            v = prompts.get_version(vid)
            return options((v, prompts.get_prompt(v.prompt_id)))
        v = agents.get_version(vid)
        return options((v, agents.get_agent(v.agent_id)))

    def search(text: str) -> list[Option]:
        hide = not viewer_sees_restricted()
        if which == 'prompt':
            return [_prompt_version_option(v) for v in prompts.search_versions(text, exclude_restricted=hide)]
        return [_agent_version_option(v) for v in agents.search_versions(text, exclude_restricted=hide)]

    return RelationPicker(
        'Prompt version' if which == 'prompt' else 'Agent version',
        which,
        initial=_initial(current, options),
        load=load,
        search=search,
        add=lambda o: outputs.set_provenance(item_id, **{f'{field}_id': o.id}),
        remove=lambda o: outputs.set_provenance(item_id, **{f'{field}_id': None}),
        single=True,
        empty_text='Not recorded',
        on_change=on_change,
    )


def conversation_picker(
    output_id: int, on_change: Callable[[], object] | None = None, *, current: Any = UNREAD
) -> RelationPicker:
    """``current``: the conversation the output came from (or None), when the page has it."""
    from ..data import outputs

    def options(c) -> list[Option]:
        if c is None or not visible([c]):  # a LAN device without permission: not even its title
            return []
        return [Option(c.id, c.title or f'Conversation {c.id}', kind_url('conversation', c.id))]

    def load() -> list[Option]:
        o = outputs.get_output(output_id)
        return options(entities.get_item('conversation', o.conversation_id) if o.conversation_id else None)

    def search(text: str) -> list[Option]:
        page = entities.list_items('conversation', hide_restricted(ListParams(text=text, per_page=10)))
        return [
            Option(c.id, c.title or f'Conversation {c.id}', kind_url('conversation', c.id))
            for c in page.items
        ]

    return RelationPicker(
        'Conversation',
        'conversation',
        initial=_initial(current, options),
        load=load,
        search=search,
        add=lambda o: outputs.set_provenance(output_id, conversation_id=o.id, message_id=None),
        remove=lambda o: outputs.set_provenance(output_id, conversation_id=None, message_id=None),
        single=True,
        empty_text='None',
        on_change=on_change,
    )
