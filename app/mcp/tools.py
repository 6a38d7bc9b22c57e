"""The MCP tools: typed arguments (their JSON schemas are what the model reads) and plain functions that
answer with compact dicts linking back to each item's page.

Every function here is synchronous and runs in a worker thread (``server.py``); it takes the ``Caller``
(who is asking, from which client) and its validated arguments. Who may see what follows the REST API
exactly: ``roles.hides`` for an item's level, ``exclude_restricted`` for lists and search, withheld
messages in threads; changes need write access (``roles.require_write``). Nothing here deletes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .. import auth, roles
from ..data import conversations, entities, lookups, outputs, prompts, relations, sensitivity, versioning
from ..data import search as search_mod
from ..data.db import MAX_ROW_ID
from ..data.db import current as current_db
from ..data.listing import ListParams
from ..data.text import body_hash
from ..errors import NotFound, ValidationError
from ..services import library_events

DEFAULT_APP_URL = 'http://127.0.0.1:8080'
SEARCH_LIMIT, SEARCH_MAX = 10, 50
TEXT_CHARS = 20_000  # an output's body in get_output, unless asked for more
MESSAGE_CHARS = 6_000  # each message's text in get_conversation, unless asked for more
SOURCE_KIND = 'mcp'

Id = Annotated[
    int, Field(ge=1, le=MAX_ROW_ID)
]  # a whole number SQLite can store (a bigger one names nothing)
Kind = Literal['output', 'message', 'prompt', 'conversation']
Editable = Literal['output', 'conversation', 'prompt']


@dataclass
class Caller:
    """Who is asking: the app's principal (``auth.LOCAL`` over stdio), the MCP client's name from its
    ``initialize`` clientInfo, and the address item links start with."""

    principal: auth.Principal = auth.LOCAL
    client: str = ''
    base_url: str = DEFAULT_APP_URL

    def url(self, path: str) -> str:
        return self.base_url.rstrip('/') + path

    @property
    def hide_restricted(self) -> bool:
        return not self.principal.allow_restricted

    def check_visible(self, what: str, item_id: int, sensitivity_id: int | None) -> None:
        """NotFound, worded as for a missing item, when the caller may not see it (the REST API's rule)."""
        if roles.hides(self.principal, sensitivity_id):
            raise NotFound(f'{what} {item_id} does not exist.')

    def require_write(self) -> None:
        roles.require_write(self.principal, 'save or change anything in Output Hub')


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec='seconds') + 'Z'
    return value.isoformat()


def _cut(text: str | None, limit: int) -> tuple[str, bool]:
    text = text or ''
    if len(text) <= limit:
        return text, False
    return text[:limit] + f'\n…[{len(text) - limit:,} more characters; ask with a larger max_chars]', True


def _preview(text: str | None, limit: int = 160) -> str:
    flat = ' '.join((text or '').split())
    return flat if len(flat) <= limit else flat[: limit - 1] + '…'


def _strict() -> ConfigDict:
    return ConfigDict(extra='forbid')


# =========================================================================== search, similar, recent


class SearchArgs(BaseModel):
    model_config = _strict()

    query: str = Field(
        min_length=1,
        max_length=1000,
        description='What to look for. Keyword syntax also works: "a phrase", prefix*, -exclude, a OR b.',
    )
    mode: Literal['hybrid', 'keyword', 'semantic'] = Field(
        'hybrid', description='keyword = the words; semantic = the meaning; hybrid (default) = both.'
    )
    kinds: list[Kind] = Field(
        default_factory=list,
        description='Only these kinds (default: outputs, messages, prompts, conversations).',
    )
    tags: list[str] = Field(
        default_factory=list, max_length=20, description='Only items with all these tags.'
    )
    collection: str | None = Field(None, max_length=200, description='Only items in this collection.')
    model: str | None = Field(
        None, max_length=200, description='Only items made with this model, e.g. "gpt-4o".'
    )
    category: str | None = Field(None, max_length=200, description='Only items in this category.')
    min_rating: int | None = Field(None, ge=1, le=5, description='Only items rated at least this (1-5).')
    favourites_only: bool = Field(False, description='Only favourites.')
    since: date | None = Field(None, description='Created on or after this day (YYYY-MM-DD).')
    until: date | None = Field(None, description='Created on or before this day (YYYY-MM-DD).')
    limit: int = Field(
        SEARCH_LIMIT, ge=1, le=SEARCH_MAX, description=f'At most this many results (max {SEARCH_MAX}).'
    )


def _hit(caller: Caller, h: search_mod.SearchHit) -> dict[str, Any]:
    out: dict[str, Any] = {
        'kind': h.kind,
        'id': h.id,
        'title': h.title,
        'snippet': h.snippet,
        'url': caller.url(h.url),
        'matched': h.matched,
    }
    if h.kind == 'message':
        out['conversation_id'] = h.conversation_id
        out['role'] = h.role
    if h.created_at is not None:
        out['created_at'] = _iso(h.created_at)
    return out


def search(caller: Caller, args: SearchArgs) -> dict[str, Any]:
    filters = search_mod.SearchFilters(
        kinds=list(args.kinds),
        tags=lookups.ids_for_names('tag', args.tags),
        collections=lookups.ids_for_names('collection', [args.collection] if args.collection else []),
        categories=lookups.ids_for_names('category', [args.category] if args.category else []),
        models=lookups.ids_for_names('model', [args.model] if args.model else []),
        rating_min=args.min_rating,
        favourite=True if args.favourites_only else None,
        date_from=args.since,
        date_to=args.until,
        exclude_restricted=caller.hide_restricted,
    )
    hits = search_mod.search(args.query, mode=args.mode, filters=filters, limit=args.limit)
    results = [_hit(caller, h) for h in hits]
    return {'query': args.query, 'mode': args.mode, 'count': len(results), 'results': results}


class SimilarArgs(BaseModel):
    model_config = _strict()

    output_id: Id | None = Field(None, description='Find what is similar to this output…')
    message_id: Id | None = Field(None, description='…or to this message (give one of the two).')
    kinds: list[Literal['output', 'message']] = Field(
        default_factory=list, description='Only these kinds (default both).'
    )
    limit: int = Field(
        SEARCH_LIMIT, ge=1, le=SEARCH_MAX, description=f'At most this many (max {SEARCH_MAX}).'
    )


def similar(caller: Caller, args: SimilarArgs) -> dict[str, Any]:
    if (args.output_id is None) == (args.message_id is None):
        raise ValidationError('Give either output_id or message_id (one of them).')
    kind, item_id = ('output', args.output_id) if args.output_id else ('message', args.message_id)
    assert item_id is not None
    filters = search_mod.SearchFilters(kinds=list(args.kinds), exclude_restricted=caller.hide_restricted)
    if kind == 'output':
        caller.check_visible('Output', item_id, outputs.get_output(item_id).sensitivity_id)
    hits = search_mod.similar(kind, item_id, limit=args.limit, filters=filters)
    results = [_hit(caller, h) for h in hits]
    return {kind + '_id': item_id, 'count': len(results), 'results': results}


class RecentArgs(BaseModel):
    model_config = _strict()

    kind: Literal['output', 'conversation'] = Field(
        'output', description='The latest captured outputs (default) or the latest conversations.'
    )
    favourites_only: bool = Field(False, description='Only favourites.')
    limit: int = Field(
        SEARCH_LIMIT, ge=1, le=SEARCH_MAX, description=f'At most this many (max {SEARCH_MAX}).'
    )


def recent(caller: Caller, args: RecentArgs) -> dict[str, Any]:
    params = ListParams(
        sort='created_at' if args.kind == 'output' else 'updated_at',
        desc=True,
        per_page=args.limit,
        favourite=True if args.favourites_only else None,
        exclude_restricted=caller.hide_restricted,
    )
    page = entities.list_items(args.kind, params)
    items = []
    for row in page.items:
        item: dict[str, Any] = {'id': row.id, 'title': row.title, 'created_at': _iso(row.created_at)}
        if args.kind == 'output':
            item['preview'] = _preview(row.body)
        else:
            item['updated_at'] = _iso(row.updated_at)
            item['message_count'] = row.message_count
        item['url'] = caller.url(f'/{args.kind}s/{row.id}')
        items.append(item)
    return {'kind': args.kind, 'count': len(items), 'total': page.total, 'items': items}


# =========================================================================== reading one item


class GetOutputArgs(BaseModel):
    model_config = _strict()

    id: Id = Field(description='The output id (from search or recent).')
    max_chars: int = Field(
        TEXT_CHARS, ge=200, le=2_000_000, description='Cut the body after this many characters.'
    )


def get_output(caller: Caller, args: GetOutputArgs) -> dict[str, Any]:
    detail = outputs.output_detail(args.id)
    o = detail.output
    caller.check_visible('Output', o.id, o.sensitivity_id)
    body, cut = _cut(o.body, args.max_chars)
    related = [r for r in detail.related if not roles.hides(caller.principal, r.sensitivity_id)]
    out: dict[str, Any] = {
        'id': o.id,
        'title': o.title,
        'url': caller.url(f'/outputs/{o.id}'),
        'body': body,
        'body_truncated': cut,
        'prompt': _cut(detail.prompt_version.body, 4000)[0] if detail.prompt_version else None,
        'prompt_id': detail.prompt.id if detail.prompt else None,
        'model': detail.model.name if detail.model else None,
        'agent': detail.agent.name if detail.agent else None,
        'tags': [t.name for t in detail.tags],
        'collections': [c.name for c in detail.collections],
        'category': detail.category.name if detail.category else None,
        'rating': o.rating,
        'favourite': bool(o.favourite),
        'notes': o.notes,
        'source_url': o.source_url,
        'source': detail.source.name if detail.source else None,
        'conversation_id': o.conversation_id,
        'message_id': o.message_id,
        'related_output_ids': [r.id for r in related],
        'created_at': _iso(o.created_at),
    }
    if o.deleted_at is not None:
        out['in_trash'] = True
    return {k: v for k, v in out.items() if v not in (None, [], '')}


class GetConversationArgs(BaseModel):
    model_config = _strict()

    id: Id = Field(description='The conversation id (from search, recent, or a message hit).')
    message_id: Id | None = Field(
        None,
        description='Show the branch through this message and a window of messages around it '
        '(e.g. a search hit in a long thread).',
    )
    window: int = Field(
        4, ge=0, le=50, description='With message_id: this many messages before and after it.'
    )
    offset: int = Field(0, ge=0, description='Without message_id: skip this many messages from the start.')
    limit: int = Field(40, ge=1, le=200, description='Without message_id: at most this many messages.')
    max_chars: int = Field(
        MESSAGE_CHARS, ge=200, le=500_000, description='Cut each message after this many characters.'
    )


def get_conversation(caller: Caller, args: GetConversationArgs) -> dict[str, Any]:
    conv = conversations.get_conversation(args.id)
    caller.check_visible('Conversation', conv.id, conv.sensitivity_id)
    leaf = None
    if args.message_id is not None:
        leaf = conversations.latest_leaf(conv.id, under=args.message_id) or args.message_id
    try:
        thread = conversations.thread(conv.id, leaf, hide_restricted=caller.hide_restricted)
    except ValidationError:
        raise NotFound(f'Message {args.message_id} is not part of conversation {conv.id}.') from None
    shown = [tm for tm in thread if not tm.message.hidden]
    if args.message_id is not None:
        at = next((i for i, tm in enumerate(shown) if tm.message.id == args.message_id), None)
        if at is None:
            raise NotFound(f'Message {args.message_id} is not part of conversation {conv.id}.')
        start, end = max(0, at - args.window), at + args.window + 1
    else:
        start, end = args.offset, args.offset + args.limit
    window = shown[start:end]
    messages = []
    for tm in window:
        m = tm.message
        text, cut = _cut(m.content, args.max_chars)
        item: dict[str, Any] = {'id': m.id, 'role': m.role, 'content': text, 'created_at': _iso(m.created_at)}
        if cut:
            item['truncated'] = True
        if getattr(m, 'withheld', False):
            item['withheld'] = True
        if m.model_id and getattr(m, 'model', None) is not None:
            item['model'] = m.model.name
        if tm.sibling_count > 1:
            item['branch'] = f'{tm.sibling_index + 1} of {tm.sibling_count}'
        messages.append(item)
    first = start + 1 if window else 0
    out: dict[str, Any] = {
        'id': conv.id,
        'title': conv.title,
        'url': caller.url(f'/conversations/{conv.id}'),
        'summary': conv.summary,
        'created_at': _iso(conv.created_at),
        'updated_at': _iso(conv.updated_at),
        'branch_messages': len(shown),
        'shown': f'messages {first}-{start + len(window)} of {len(shown)} on this branch',
        'messages': messages,
    }
    if conv.deleted_at is not None:
        out['in_trash'] = True
    return {k: v for k, v in out.items() if v is not None}


class GetPromptArgs(BaseModel):
    model_config = _strict()

    id: Id = Field(description='The prompt id (from search with kinds=["prompt"]).')
    version: Id | None = Field(None, description='A version number (default: the current version).')


def get_prompt(caller: Caller, args: GetPromptArgs) -> dict[str, Any]:
    prompt = prompts.get_prompt(args.id)
    caller.check_visible('Prompt', prompt.id, prompt.sensitivity_id)
    if args.version is not None:
        version = prompts.version_by_number(prompt.id, args.version)
    else:
        version = prompts.current_version(prompt.id)
        if version is None:
            raise NotFound(f'Prompt {prompt.id} has no version yet.')
    all_versions = prompts.versions(prompt.id)
    current = next((v.number for v in all_versions if v.id == prompt.current_version_id), None)
    return {
        'id': prompt.id,
        'title': prompt.title,
        'description': prompt.description,
        'url': caller.url(f'/prompts/{prompt.id}'),
        'version': version.number,
        'version_id': version.id,
        'current_version': current,
        'versions': [v.number for v in all_versions],
        'body': version.body,
        'variables': [v.to_json() for v in versioning.template_variables(version.body)],
        'use_count': prompt.use_count,
    }


# =========================================================================== saving


class SaveOutputArgs(BaseModel):
    model_config = _strict()

    body: str = Field(
        min_length=1, max_length=1_000_000, description='The text to save (Markdown). Required.'
    )
    title: str = Field('', max_length=500, description='A short title (default: the first line of the body).')
    prompt: str = Field('', max_length=200_000, description='The prompt or question this answers, if any.')
    prompt_version_id: Id | None = Field(
        None, description='The version_id of a saved prompt this answers (from get_prompt).'
    )
    model: str | None = Field(
        None, max_length=200, description='The model that wrote it, e.g. "claude-sonnet-4".'
    )
    tags: list[str] = Field(default_factory=list, max_length=50, description='Tag names (created if new).')
    collection: str | None = Field(
        None, max_length=200, description='A collection to file it in (created if new).'
    )
    source_url: str = Field('', max_length=4000, description='Where it came from (a chat link, a page).')
    notes: str = Field('', max_length=100_000, description='Notes to keep with it.')
    save_duplicate: bool = Field(
        False, description='Save even when the same text is already in the library (normally refused).'
    )


_rendered: OrderedDict[str, int] = OrderedDict()  # texts prompts/get filled in → their version id
_rendered_lock = threading.Lock()
RENDERED_KEEP = 512


def remember_rendered(text: str, version_id: int) -> None:
    """A prompt version filled in through prompts/get: an output saved later with this text as its prompt
    is counted against that version (not stored as a new prompt)."""
    with _rendered_lock:
        _rendered[body_hash(text)] = version_id
        _rendered.move_to_end(body_hash(text))
        while len(_rendered) > RENDERED_KEEP:
            _rendered.popitem(last=False)


def _rendered_version(text: str) -> int | None:
    if not text.strip():
        return None
    with _rendered_lock:
        return _rendered.get(body_hash(text))


def source_name(client: str) -> str:
    """The Source row a save is recorded under: "MCP" and the client's name ("MCP · claude-ai")."""
    client = ' '.join((client or '').split())[:80]
    return f'MCP · {client}' if client else 'MCP'


_sources: dict[tuple[str, str], int] = {}  # (database file, source name) → its row id


def _source_id(caller: Caller) -> int:
    """The client's Source row, made on its first save; remembered (a save must stay quick), and a row
    merged away since only sends the next save to the MCP source by kind (``capture_output``)."""
    name = source_name(caller.client)
    key = (str(current_db().database), name)
    found = _sources.get(key)
    if found is None:
        found = _sources[key] = lookups.get_or_create('source', name, kind=SOURCE_KIND).id
    return found


def _visible_prompt_version(caller: Caller, version_id: int) -> int:
    version = prompts.get_version(version_id)
    prompt = prompts.get_prompt(version.prompt_id)
    if roles.hides(caller.principal, prompt.sensitivity_id):
        raise NotFound(f'Prompt version {version_id} does not exist.')
    return version.id


def save_output(caller: Caller, args: SaveOutputArgs) -> dict[str, Any]:
    caller.require_write()
    if not args.save_duplicate:
        duplicates = outputs.find_duplicates(args.body)
        if duplicates:
            seen = [d for d in duplicates if not roles.hides(caller.principal, d.sensitivity_id)]
            if not seen:
                return {'saved': False, 'message': 'That text is already in your library; nothing was saved.'}
            d = seen[0]
            return {
                'saved': False,
                'duplicate': True,
                'id': d.id,
                'title': d.title,
                'url': caller.url(f'/outputs/{d.id}'),
                'message': f'Already in your library as output {d.id} ("{d.title}"); nothing was saved.',
            }
    version_id = None
    if args.prompt_version_id is not None:
        version_id = _visible_prompt_version(caller, args.prompt_version_id)
    else:
        version_id = _rendered_version(args.prompt)
        if version_id is not None and roles.hides(
            caller.principal, prompts.get_prompt(prompts.get_version(version_id).prompt_id).sensitivity_id
        ):
            version_id = None
    out = outputs.capture_output(
        outputs.CaptureData(
            body=args.body,
            title=args.title,
            prompt='' if version_id else args.prompt,
            prompt_version_id=version_id,
            model=args.model or None,
            tags=list(args.tags),
            collections=[args.collection] if args.collection else [],
            notes=args.notes,
            source_url=args.source_url,
            source_kind=SOURCE_KIND,
            source_id=_source_id(caller),
        )
    )
    library_events.emit('output', [out.id])  # the app's open pages show it (when served at /mcp)
    return {
        'saved': True,
        'id': out.id,
        'title': out.title,
        'url': caller.url(f'/outputs/{out.id}'),
        'message': f'Saved to Output Hub as output {out.id} ("{out.title}").',
    }


class Turn(BaseModel):
    model_config = _strict()

    role: Literal['user', 'assistant', 'system'] = Field(description='Who wrote it.')
    content: str = Field(min_length=1, max_length=1_000_000, description='The message text (Markdown).')


class SaveConversationArgs(BaseModel):
    model_config = _strict()

    messages: list[Turn] = Field(min_length=1, max_length=1000, description='The messages, oldest first.')
    title: str = Field(
        '', max_length=500, description='A title (default: the first line of the first message).'
    )
    model: str | None = Field(
        None, max_length=200, description='The model that wrote the assistant messages.'
    )
    tags: list[str] = Field(
        default_factory=list, max_length=50, description='Tag names (new conversation only).'
    )
    collection: str | None = Field(None, max_length=200, description='A collection (new conversation only).')
    conversation_id: Id | None = Field(
        None,
        description='Continue this stored conversation: the messages it already has are skipped and the '
        'rest are added after them (as a new branch where they differ). Give the whole chat again.',
    )


def save_conversation(caller: Caller, args: SaveConversationArgs) -> dict[str, Any]:
    caller.require_write()
    turns = [(t.role, t.content) for t in args.messages]
    if args.conversation_id is None:
        conv = conversations.create_from_turns(
            args.title,
            turns,
            model=args.model or None,
            tags=list(args.tags),
            collections=[args.collection] if args.collection else [],
            source=_source_id(caller),
        )
        return {
            'saved': True,
            'id': conv.id,
            'title': conv.title,
            'url': caller.url(f'/conversations/{conv.id}'),
            'added': len(turns),
            'message': f'Saved as conversation {conv.id} with {len(turns)} messages; '
            f'pass conversation_id={conv.id} to save more of this chat later.',
        }
    conv = conversations.get_conversation(args.conversation_id)
    caller.check_visible('Conversation', conv.id, conv.sensitivity_id)
    if conv.deleted_at is not None:
        raise ValidationError('That conversation is in the trash; restore it to continue it.')
    if caller.hide_restricted and sensitivity.withholds_in(conv.id):
        raise ValidationError('This conversation holds a withheld message; continue it on this computer.')
    matched, added = conversations.add_turns(conv.id, turns, model=args.model or None)
    message = (
        f'Added {len(added)} messages to conversation {conv.id} ({matched} were already stored).'
        if added
        else f'Nothing new: all {matched} messages are already in conversation {conv.id}.'
    )
    return {
        'saved': bool(added),
        'id': conv.id,
        'title': conv.title,
        'url': caller.url(f'/conversations/{conv.id}'),
        'added': len(added),
        'already_stored': matched,
        'message': message,
    }


# =========================================================================== small edits


def _visible_item(caller: Caller, kind: str, item_id: int) -> Any:
    item = entities.get_item(kind, item_id)
    caller.check_visible(kind.capitalize(), item_id, getattr(item, 'sensitivity_id', None))
    return item


class TagArgs(BaseModel):
    model_config = _strict()

    kind: Editable = Field('output', description='What to tag.')
    id: Id = Field(description='Its id.')
    add: list[str] = Field(default_factory=list, max_length=50, description='Tags to add (created if new).')
    remove: list[str] = Field(default_factory=list, max_length=50, description='Tags to take off.')


def tag(caller: Caller, args: TagArgs) -> dict[str, Any]:
    caller.require_write()
    _visible_item(caller, args.kind, args.id)
    if not args.add and not args.remove:
        raise ValidationError('Give tags to add or to remove.')
    add = [lookups.get_or_create('tag', name).id for name in args.add if name.strip()]
    if add:
        relations.add_tags(args.kind, [args.id], add)
    remove = [row.id for name in args.remove if name.strip() and (row := lookups.find_by_name('tag', name))]
    if remove:
        relations.remove_tags(args.kind, [args.id], remove)
    now = [t.name for t in relations.tags_for(args.kind, [args.id]).get(args.id, [])]
    return {'kind': args.kind, 'id': args.id, 'tags': now, 'url': caller.url(f'/{args.kind}s/{args.id}')}


class LinkArgs(BaseModel):
    model_config = _strict()

    output_id: Id = Field(description='One output.')
    related_output_id: Id = Field(description='The output it relates to (the link goes both ways).')


def link_outputs(caller: Caller, args: LinkArgs) -> dict[str, Any]:
    caller.require_write()
    for item_id in (args.output_id, args.related_output_id):
        _visible_item(caller, 'output', item_id)
    relations.link_outputs(args.output_id, args.related_output_id)
    return {
        'linked': [args.output_id, args.related_output_id],
        'message': f'Outputs {args.output_id} and {args.related_output_id} are now related.',
        'url': caller.url(f'/outputs/{args.output_id}'),
    }


class RateArgs(BaseModel):
    model_config = _strict()

    kind: Editable = Field('output', description='What to rate.')
    id: Id = Field(description='Its id.')
    rating: int | None = Field(None, ge=1, le=5, description='1 (poor) to 5 (excellent).')
    favourite: bool | None = Field(None, description='Mark (true) or unmark (false) as a favourite.')


def rate(caller: Caller, args: RateArgs) -> dict[str, Any]:
    caller.require_write()
    _visible_item(caller, args.kind, args.id)
    changes: dict[str, Any] = {}
    if args.rating is not None:
        changes['rating'] = args.rating
    if args.favourite is not None:
        changes['favourite'] = args.favourite
    if not changes:
        raise ValidationError('Give a rating (1-5), favourite (true/false) or both.')
    item = entities.update_item(args.kind, args.id, **changes)
    return {
        'kind': args.kind,
        'id': args.id,
        'rating': item.rating,
        'favourite': bool(item.favourite),
        'url': caller.url(f'/{args.kind}s/{args.id}'),
    }


# =========================================================================== the registry


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    args: type[BaseModel]
    run: Callable[[Caller, Any], dict[str, Any]]
    writes: bool = False
    idempotent: bool = True


_LINK = ' Each result has its id and url (the item in Output Hub).'

TOOLS: list[ToolSpec] = [
    ToolSpec(
        'search',
        'Search the library',
        "Search the user's Output Hub library (saved LLM outputs, chat messages, prompts, conversations) by "
        'words, meaning or both, with optional filters (kinds, tags, collection, model, category, rating, '
        'favourites, dates). Returns short snippets; read one with get_output or get_conversation '
        '(a message hit: get_conversation with its conversation_id and message_id).' + _LINK,
        SearchArgs,
        search,
    ),
    ToolSpec(
        'get_output',
        'Read an output',
        'Read one saved output in full: its text, the prompt it answered, model, tags, collections, rating, '
        'notes and related outputs.',
        GetOutputArgs,
        get_output,
    ),
    ToolSpec(
        'get_conversation',
        'Read a conversation',
        'Read a stored conversation: the messages of its active branch, a page at a time (offset, limit); '
        'with message_id, the branch through that message and a window of messages around it.',
        GetConversationArgs,
        get_conversation,
    ),
    ToolSpec(
        'get_prompt',
        'Read a saved prompt',
        'Read a saved prompt: its text (the current version, or the version asked for), its {{variables}} '
        'with defaults, and its versions.',
        GetPromptArgs,
        get_prompt,
    ),
    ToolSpec(
        'similar',
        'Find similar items',
        'Outputs and messages closest in meaning to one output or message.' + _LINK,
        SimilarArgs,
        similar,
    ),
    ToolSpec(
        'recent',
        'Latest items',
        'The latest captured outputs, or the conversations most recently active.' + _LINK,
        RecentArgs,
        recent,
    ),
    ToolSpec(
        'save_output',
        'Save to Output Hub',
        "Save a piece of text (an answer, a snippet, a summary) to the user's Output Hub library, with an "
        'optional title, the prompt it answered, model, tags, collection, source URL and notes. Use it when '
        'the user asks to save or keep something. If the same text is already saved, nothing is saved and '
        'the answer says where it is.',
        SaveOutputArgs,
        save_output,
        writes=True,
        idempotent=False,
    ),
    ToolSpec(
        'save_conversation',
        'Save a conversation',
        'Save a chat as a conversation in Output Hub: the messages (role and content, oldest first), a title '
        'and model. To save more of a chat saved before, pass its conversation_id with the whole chat: '
        'messages already stored are skipped, the rest added (a new branch where they differ).',
        SaveConversationArgs,
        save_conversation,
        writes=True,
        idempotent=False,
    ),
    ToolSpec(
        'tag',
        'Tag an item',
        'Add tags to, or remove tags from, an output, conversation or prompt.',
        TagArgs,
        tag,
        writes=True,
    ),
    ToolSpec(
        'link_outputs',
        'Relate two outputs',
        'Mark two outputs as related to each other (shown on both).',
        LinkArgs,
        link_outputs,
        writes=True,
    ),
    ToolSpec(
        'rate',
        'Rate an item',
        'Rate an output, conversation or prompt from 1 to 5 and/or mark it as a favourite.',
        RateArgs,
        rate,
        writes=True,
    ),
]

BY_NAME = {t.name: t for t in TOOLS}
