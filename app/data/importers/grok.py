"""Grok (x.ai) account export, ``prod-grok-backend.json``: ``{conversations: [{conversation, responses}]}``.

Each response (wrapped as ``{response: {...}, share_link}``, or flat) has ``response_id`` or ``_id``,
``parent_response_id`` (the tree), ``sender`` (``human`` is the person; ``assistant``, ``ASSISTANT`` or a
model name is Grok), ``message``, ``create_time`` (ISO in the 2025 export, ``{"$date": {"$numberLong":
ms}}`` in the 2026 one) and ``model`` (2026). The shown branch: ``leaf_response_id`` when set, else the
newest leaf. Thinking traces and web results are hidden steps; cited pages become links.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from .base import (
    Block,
    ImportReport,
    ParsedConversation,
    ParsedMessage,
    from_epoch,
    from_iso,
    split_blocks,
    text_of,
)
from .inputs import JsonDoc, iter_items


def when(value: Any):
    """ISO text, epoch (s or ms) or MongoDB extended JSON ``{"$date": {"$numberLong": "<ms>"}}``."""
    if isinstance(value, dict):
        inner = value.get('$date', value)
        if isinstance(inner, dict):
            inner = inner.get('$numberLong')
        if isinstance(inner, str) and not inner.lstrip('-').isdigit():
            return from_iso(inner)
        try:
            return from_epoch(int(inner) / 1000)
        except (TypeError, ValueError):
            return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_epoch(value / 1000 if value > 1e11 else value)
    return from_iso(value)


def _links(results: Any) -> str:
    out = []
    for r in results if isinstance(results, list) else []:
        if isinstance(r, dict) and text_of(r.get('url')):
            title = (text_of(r.get('title')) or r['url']).replace('[', '(').replace(']', ')')
            out.append(f'- [{title}]({r["url"]})')
    return '\n'.join(dict.fromkeys(out))


def convert(entry: Any, report: ImportReport) -> ParsedConversation:
    if not isinstance(entry, dict) or not isinstance(entry.get('conversation'), dict):
        raise ValueError('an entry has no "conversation" object')
    conv = entry['conversation']
    conv_id = conv.get('conversation_id') or conv.get('id')
    if not conv_id:
        raise ValueError('a conversation has no id')
    messages: list[ParsedMessage] = []
    for i, wrapper in enumerate(entry.get('responses') or []):
        if not isinstance(wrapper, dict):
            continue
        r = wrapper.get('response') if isinstance(wrapper.get('response'), dict) else wrapper
        rid = r.get('response_id') or r.get('_id')
        if isinstance(rid, dict):  # {"$oid": ...}
            rid = rid.get('$oid')
        if not rid:
            raise ValueError(f'response #{i} has no id')
        sender = text_of(r.get('sender')).lower()
        is_user = sender in ('human', 'user')
        meta = r.get('metadata') if isinstance(r.get('metadata'), dict) else {}
        llm = meta.get('llm_info') if isinstance(meta.get('llm_info'), dict) else {}
        model = text_of(r.get('model')) or text_of(llm.get('modelName')) or None
        if model is None and not is_user and sender not in ('assistant', 'grok', ''):
            model = text_of(r.get('sender'))  # the sender is sometimes the model's name, e.g. "grok-3"
        created = when(r.get('create_time'))
        parent = r.get('parent_response_id')
        base = ParsedMessage(
            external_id=str(rid),
            parent_id=str(parent) if parent else None,
            role='user' if is_user else 'assistant',
            model=None if is_user else model,
            created_at=created,
            status='incomplete' if r.get('partial') else ('error' if r.get('error') else 'complete'),
            raw=r,
        )
        blocks: list[Block] = []
        if text_of(r.get('thinking_trace')):
            blocks.append(Block(r['thinking_trace'], True, 'thinking'))
        for trace in r.get('agent_thinking_traces') or []:
            if isinstance(trace, dict) and text_of(trace.get('thinking_trace')):
                blocks.append(
                    Block(trace['thinking_trace'], True, 'thinking', text_of(trace.get('agent_id')) or None)
                )
        found = _links(r.get('web_search_results'))
        if found:
            blocks.append(Block(found, True, 'search_results', 'web_search', 'tool'))
        text = text_of(r.get('message'))
        cited = _links(r.get('cited_web_search_results'))
        if cited and not is_user:
            text = f'{text}\n\nSources:\n{cited}'.strip()
        images = [u for u in r.get('generated_image_urls') or [] if isinstance(u, str)]
        if images:
            text = '\n'.join([text, *(f'[Generated image: {u}]' for u in images)]).strip()
        attached = len(r.get('file_attachments') or []) + len(r.get('image_attachments') or [])
        if attached:
            text = f'{text}\n[{attached} attachment(s)]'.strip()
        blocks.append(Block(text))
        messages.extend(split_blocks(base, blocks))
    leaf = conv.get('leaf_response_id')
    return ParsedConversation(
        external_id=str(conv_id),
        title=text_of(conv.get('title')),
        messages=messages,
        created_at=when(conv.get('create_time')),
        updated_at=when(conv.get('modify_time')),
        active_leaf=str(leaf) if leaf else None,  # else the writer takes the newest leaf
        summary=text_of(conv.get('summary')) or None,
        favourite=bool(conv.get('starred')),
        raw=conv,
    )


def label(entry: Any) -> str:
    conv = entry.get('conversation') if isinstance(entry, dict) else None
    if isinstance(conv, dict):
        return f'conversation {text_of(conv.get("title"))[:60]} ({conv.get("conversation_id") or conv.get("id")})'
    return 'conversation (not an object)'


def items(doc: JsonDoc, report: ImportReport):
    for entry in iter_items(doc):
        yield label(entry), partial(convert, entry, report)
