"""DeepSeek "Export all history" (``conversations.json``): ``[{id, title, inserted_at, updated_at, mapping}]``.

The mapping is a tree rooted at a node literally called ``"root"`` (no message); a node is ``{id, parent,
children, message}`` and a message ``{model, inserted_at, files[], fragments[]}`` with no role: REQUEST
(and FILE) fragments are the person's, RESPONSE the answer, THINK the reasoning and SEARCH the web
results (both hidden steps). There is no ``current_node``: the shown branch ends at the newest leaf.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from .base import Block, ImportReport, ParsedConversation, ParsedMessage, from_iso, split_blocks, text_of
from .inputs import JsonDoc, iter_items

USER_FRAGMENTS = {'REQUEST', 'FILE'}


def _blocks(fragments: list, report: ImportReport) -> tuple[str, list[Block]]:
    blocks: list[Block] = []
    role = 'assistant'
    types = {f.get('type') for f in fragments if isinstance(f, dict)}
    if types and types <= USER_FRAGMENTS:
        role = 'user'
    for f in fragments:
        if not isinstance(f, dict):
            continue
        ftype = f.get('type')
        if ftype in ('REQUEST', 'RESPONSE'):
            blocks.append(Block(text_of(f.get('content'))))
        elif ftype == 'THINK':
            blocks.append(Block(text_of(f.get('content')), True, 'thinking'))
        elif ftype == 'SEARCH':
            links = []
            for r in f.get('results') or []:
                if isinstance(r, dict) and text_of(r.get('url')):
                    title = (text_of(r.get('title')) or r['url']).replace('[', '(').replace(']', ')')
                    links.append(f'- [{title}]({r["url"]})')
            blocks.append(Block('\n'.join(links), True, 'search_results', 'web_search', 'tool'))
        elif ftype == 'FILE':
            names = [text_of(x.get('file_name')) for x in f.get('files') or [] if isinstance(x, dict)]
            blocks.append(Block('\n'.join(f'[File: {n or "file"}]' for n in names) or '[File]'))
        else:
            report.unknown(f'deepseek {ftype or "?"}')
            blocks.append(Block(text_of(f.get('content'))))  # unknown fragments read as text
    return role, blocks


def _ref(value: Any) -> str | None:
    """A node's ``parent`` as a mapping key: a string (a number written as one), anything else none."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def convert(conv: Any, report: ImportReport) -> ParsedConversation:
    if not isinstance(conv, dict) or not conv.get('id'):
        raise ValueError('a conversation has no id')
    mapping = conv.get('mapping')
    if not isinstance(mapping, dict):
        raise ValueError('its "mapping" is missing or not an object')
    has_message = {
        k for k, n in mapping.items() if isinstance(n, dict) and isinstance(n.get('message'), dict)
    }
    messages: list[ParsedMessage] = []
    for node_id, node in mapping.items():
        if node_id not in has_message:
            continue
        msg = node['message']
        parent = _ref(node.get('parent'))
        seen = set()
        while parent is not None and parent not in has_message and parent in mapping and parent not in seen:
            seen.add(parent)  # the root (and any node without a message): its children hang higher up
            up = mapping[parent]
            parent = _ref(up.get('parent')) if isinstance(up, dict) else None
        fragments = msg.get('fragments') if isinstance(msg.get('fragments'), list) else []
        role, blocks = _blocks(fragments, report)
        files = [text_of(x.get('file_name')) for x in msg.get('files') or [] if isinstance(x, dict)]
        if files and not any(isinstance(f, dict) and f.get('type') == 'FILE' for f in fragments):
            blocks.append(Block('\n'.join(f'[File: {n}]' for n in files if n)))
        if not blocks:
            blocks.append(Block(''))
        base = ParsedMessage(
            external_id=str(node_id),
            parent_id=str(parent) if parent in has_message else None,
            role=role,
            model=(text_of(msg.get('model')) or None) if role == 'assistant' else None,
            created_at=from_iso(msg.get('inserted_at')),
            raw=msg,
        )
        messages.extend(split_blocks(base, blocks))
    return ParsedConversation(
        external_id=str(conv['id']),
        title=text_of(conv.get('title')),
        messages=messages,
        created_at=from_iso(conv.get('inserted_at')),
        updated_at=from_iso(conv.get('updated_at')),
        active_leaf=None,  # no current node: the writer takes the newest leaf
        raw={k: v for k, v in conv.items() if k != 'mapping'},
    )


def label(conv: Any) -> str:
    if isinstance(conv, dict):
        return f'conversation {text_of(conv.get("title"))[:60]} ({conv.get("id") or "no id"})'
    return 'conversation (not an object)'


def items(doc: JsonDoc, report: ImportReport):
    for conv in iter_items(doc):
        yield label(conv), partial(convert, conv, report)
