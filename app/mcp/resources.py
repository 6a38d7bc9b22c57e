"""Library items as MCP resources, for a client to attach as context: ``outputhub://output/{id}``,
``outputhub://conversation/{id}`` and ``outputhub://prompt/{id}`` (templates), and a short list of the
latest captures and conversations (``resources/list``: a few dozen rows at most, never the library).

Each read goes through the tool that reads the same item (``tools.get_output``, ``get_conversation``,
``get_prompt``, ``recent``), so who may see what is exactly the tools' rule: an item the caller may not
see reads as one that does not exist. Synchronous; the server runs these in a worker thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..data.db import MAX_ROW_ID
from ..errors import NotFound
from . import tools

SCHEME = 'outputhub'
MARKDOWN = 'text/markdown'
RECENT_URI = f'{SCHEME}://recent'
RECENT_CONVERSATIONS_URI = f'{SCHEME}://recent/conversations'
RECENT_SHOWN = 20  # rows in the recent lists
LISTED_OUTPUTS, LISTED_CONVERSATIONS = 10, 5  # items named in resources/list besides the lists
OUTPUT_CHARS = 100_000  # an output's body in its resource
PROMPT_CHARS = 4_000  # the prompt an output answered
MESSAGE_CHARS = 4_000  # each message of a conversation
HEAD, TAIL = 4, 36  # a long branch: its first and last messages, the middle left out

_ITEM = re.compile(rf'^{SCHEME}://(output|conversation|prompt)/([^/?#]+)$')


@dataclass(frozen=True)
class Template:
    kind: str
    title: str
    description: str
    mime_type: str

    @property
    def uri_template(self) -> str:
        return f'{SCHEME}://{self.kind}/{{id}}'


@dataclass(frozen=True)
class Listed:
    uri: str
    name: str
    title: str
    description: str
    mime_type: str = MARKDOWN


@dataclass(frozen=True)
class Contents:
    uri: str
    mime_type: str
    text: str


TEMPLATES = [
    Template(
        'output',
        'An output',
        'A saved output as Markdown: its title, text, the prompt it answered, model, tags and its link in '
        'Output Hub. The id comes from search or recent.',
        MARKDOWN,
    ),
    Template(
        'conversation',
        'A conversation',
        f'A stored conversation as Markdown: the messages of its active branch (a long one shows its first '
        f'{HEAD} and last {TAIL} messages and says how many were left out).',
        MARKDOWN,
    ),
    Template(
        'prompt',
        'A saved prompt',
        "A saved prompt's template: the text of its current version, {{variables}} and all.",
        MARKDOWN,
    ),
]


def item_uri(kind: str, item_id: int) -> str:
    return f'{SCHEME}://{kind}/{item_id}'


def _cut(text: str, limit: int, what: str) -> str:
    if len(text) <= limit:
        return text
    return (
        text[:limit] + f'\n\n*…[{len(text) - limit:,} more characters of this {what}; open it in Output Hub]*'
    )


def _line(*parts: str | None) -> str:
    return ' · '.join(p for p in parts if p)


# =========================================================================== the static lists


def list_resources(caller: tools.Caller) -> list[Listed]:
    """The two recent lists, then the latest few outputs and conversations the caller may see."""
    listed = [
        Listed(
            RECENT_URI,
            'recent',
            'Latest captures',
            f'The {RECENT_SHOWN} outputs captured last: ids, titles and their outputhub:// URIs.',
        ),
        Listed(
            RECENT_CONVERSATIONS_URI,
            'recent-conversations',
            'Latest conversations',
            f'The {RECENT_SHOWN} conversations most recently active: ids, titles and their URIs.',
        ),
    ]
    for kind, limit in (('output', LISTED_OUTPUTS), ('conversation', LISTED_CONVERSATIONS)):
        latest = tools.recent(caller, tools.RecentArgs(kind=kind, limit=limit))
        for item in latest['items']:
            listed.append(
                Listed(
                    item_uri(kind, item['id']),
                    f'{kind}-{item["id"]}',
                    item['title'] or f'{kind.capitalize()} {item["id"]}',
                    item.get('preview') or f'{item.get("message_count", 0)} messages',
                )
            )
    return listed


def _recent(caller: tools.Caller, uri: str, kind: str) -> Contents:
    latest = tools.recent(caller, tools.RecentArgs(kind=kind, limit=RECENT_SHOWN))
    heading = 'Latest captures' if kind == 'output' else 'Latest conversations'
    lines = [
        f'# {heading}',
        '',
        f'{latest["count"]} of {latest["total"]:,} {kind}s, newest first. '
        f'Attach one as {SCHEME}://{kind}/{{id}}.',
        '',
    ]
    for item in latest['items']:
        extra = item.get('preview') if kind == 'output' else f'{item.get("message_count", 0)} messages'
        if extra and extra.rstrip('…').startswith(item['title'].rstrip('…')):
            extra = ''  # the title is the text's first words: said once
        day = (item.get('updated_at') or item.get('created_at') or '')[:10]
        row = _line(str(item['id']), item['title'], day, item_uri(kind, item['id']))
        lines.append(f'- {row} — {extra}' if extra else f'- {row}')
    return Contents(uri, MARKDOWN, '\n'.join(lines) + '\n')


# =========================================================================== one item


def _output(caller: tools.Caller, uri: str, item_id: int) -> Contents:
    o = tools.get_output(caller, tools.GetOutputArgs(id=item_id, max_chars=2_000_000))
    lines = [f'# {o["title"]}', '']
    lines.append(
        _line(
            f'Output {o["id"]} in Output Hub: {o["url"]}',
            'in the trash' if o.get('in_trash') else None,
        ),
    )
    lines.append('')
    meta = [
        ('Model', o.get('model')),
        ('Tags', ', '.join(o.get('tags', []))),
        ('Collections', ', '.join(o.get('collections', []))),
        ('Category', o.get('category')),
        ('Saved', (o.get('created_at') or '')[:10]),
        ('Source', o.get('source_url')),
    ]
    lines += [f'- {k}: {v}' for k, v in meta if v]
    if o.get('prompt'):
        lines += ['', '## Prompt', '', _cut(o['prompt'], PROMPT_CHARS, 'prompt')]
    lines += ['', '## Output', '', _cut(o.get('body', ''), OUTPUT_CHARS, 'output')]
    if o.get('notes'):
        lines += ['', '## Notes', '', _cut(o['notes'], PROMPT_CHARS, 'note')]
    return Contents(uri, MARKDOWN, '\n'.join(lines) + '\n')


def _message(m: dict[str, Any]) -> list[str]:
    head = _line(m['role'].capitalize(), m.get('model'), (m.get('created_at') or '')[:10], m.get('branch'))
    return [f'## {head}', '', _cut(m['content'], MESSAGE_CHARS, 'message'), '']


def _conversation(caller: tools.Caller, uri: str, item_id: int) -> Contents:
    cap = HEAD + TAIL
    first = tools.get_conversation(
        caller, tools.GetConversationArgs(id=item_id, limit=cap, max_chars=500_000)
    )
    total = first['branch_messages']
    messages, tail, left_out = first['messages'], [], 0
    if total > cap:
        last = tools.get_conversation(
            caller,
            tools.GetConversationArgs(id=item_id, offset=total - TAIL, limit=TAIL, max_chars=500_000),
        )
        messages, tail, left_out = messages[:HEAD], last['messages'], total - cap
    lines = [f'# {first["title"]}', '']
    lines.append(
        _line(
            f'Conversation {first["id"]} in Output Hub: {first["url"]}',
            f'{total} messages on its active branch',
            'in the trash' if first.get('in_trash') else None,
        )
    )
    if first.get('summary'):
        lines += ['', f'Summary: {first["summary"]}']
    lines.append('')
    for m in messages:
        lines += _message(m)
    if left_out:
        lines += [
            f'*… {left_out} messages left out here (messages {HEAD + 1}-{total - TAIL} of {total}); '
            f'the get_conversation tool reads them (offset, limit).*',
            '',
        ]
    for m in tail:
        lines += _message(m)
    return Contents(uri, MARKDOWN, '\n'.join(lines))


def _prompt(caller: tools.Caller, uri: str, item_id: int) -> Contents:
    p = tools.get_prompt(caller, tools.GetPromptArgs(id=item_id))
    return Contents(uri, MARKDOWN, p['body'])


_READERS = {'output': _output, 'conversation': _conversation, 'prompt': _prompt}


def read(caller: tools.Caller, uri: str) -> Contents:
    """The resource at ``uri``, or NotFound with one sentence (an unknown URI, a bad id, an item that does
    not exist or that the caller may not see)."""
    uri = (uri or '').strip()
    if uri in (RECENT_URI, RECENT_URI + '/outputs'):
        return _recent(caller, uri, 'output')
    if uri == RECENT_CONVERSATIONS_URI:
        return _recent(caller, uri, 'conversation')
    match = _ITEM.match(uri)
    if match is None:
        raise NotFound(
            f'There is no resource {uri!r}; Output Hub has {RECENT_URI}, {RECENT_CONVERSATIONS_URI} and '
            + ', '.join(t.uri_template for t in TEMPLATES)
            + '.'
        )
    kind, raw = match.groups()
    item_id = int(raw) if raw.isdigit() and len(raw) <= 19 else 0
    if not 1 <= item_id <= MAX_ROW_ID:
        raise NotFound(f'{raw!r} is not an id: {SCHEME}://{kind}/ takes a whole number, like {kind}/12.')
    return _READERS[kind](caller, uri, item_id)
