"""Mistral Le Chat "Export chat" (``chat-<uuid>.json``, one per chat, several in a zip): a bare JSON array of
message records ``{id, version, chatId, role, content, contentChunks[], createdAt, context, files[]}``.

No tree and no model: the messages follow one another by time; of several versions of one message the
highest is kept. Reasoning (a text chunk whose ``_context.type`` is ``reasoning``) and tool calls are hidden
steps; there is no title (the first prompt gives one).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from .base import (
    Block,
    ImportReport,
    ParsedConversation,
    ParsedMessage,
    as_int,
    from_epoch,
    from_iso,
    json_text,
    split_blocks,
    text_of,
)
from .inputs import JsonDoc, iter_items


def _blocks(rec: dict[str, Any], report: ImportReport) -> list[Block]:
    chunks = rec.get('contentChunks')
    if not isinstance(chunks, list) or not chunks:
        return [Block(text_of(rec.get('content')))]
    blocks: list[Block] = []
    for ch in chunks:
        if not isinstance(ch, dict):
            continue
        ctype = ch.get('type')
        ctx = ch.get('_context') if isinstance(ch.get('_context'), dict) else {}
        if ctype == 'text' and ctx.get('type') == 'reasoning':
            blocks.append(Block(text_of(ch.get('text')), True, 'thinking'))
        elif ctype == 'text':
            blocks.append(Block(text_of(ch.get('text'))))
        elif ctype == 'tool_call':
            name = text_of(ch.get('name')) or 'tool'
            blocks.append(
                Block(f'{name}\n{json_text(ch.get("publicArguments"))}'.strip(), True, 'tool_use', name)
            )
            if ch.get('publicResult') is not None:
                result = ch['publicResult']
                blocks.append(Block(text_of(result) or json_text(result), True, 'tool_result', name, 'tool'))
        elif ctype == 'image_url':
            blocks.append(Block(f'[Image: {text_of(ch.get("imageUrl")) or "image"}]'))
        elif ctype in ('reference', 'custom_element'):
            continue
        else:
            report.unknown(f'lechat {ctype or "?"}')
    if not any(not b.hidden and b.text for b in blocks) and text_of(rec.get('content')):
        blocks.append(Block(rec['content']))
    return blocks


def convert(records: Any, report: ImportReport) -> ParsedConversation:
    if not isinstance(records, list):
        raise ValueError('a Le Chat chat is a list of messages')
    latest: dict[str, dict[str, Any]] = {}
    for i, rec in enumerate(records):
        if not isinstance(rec, dict) or not rec.get('chatId'):
            continue
        mid = str(rec.get('id') or f'#{i}')
        old = latest.get(mid)
        if old is None or (as_int(rec.get('version')) or 0) >= (as_int(old.get('version')) or 0):
            latest[mid] = {**rec, '_order': i}
    if not latest:
        raise ValueError('it holds no messages with a chatId')
    chat_id = str(next(iter(latest.values()))['chatId'])
    ordered = sorted(
        latest.values(),
        key=lambda r: (from_iso(r.get('createdAt')) is None, from_iso(r.get('createdAt')) or 0, r['_order']),
    )
    messages: list[ParsedMessage] = []
    parent = None
    for rec in ordered:
        rec.pop('_order', None)
        role = 'user' if rec.get('role') == 'user' else 'assistant'
        ctx = rec.get('context') if isinstance(rec.get('context'), dict) else {}
        timing = ctx.get('completionTiming') if isinstance(ctx.get('completionTiming'), dict) else {}
        stats = timing.get('generationStats') if isinstance(timing.get('generationStats'), dict) else {}
        base = ParsedMessage(
            external_id=str(rec.get('id')),
            parent_id=parent,
            role=role,
            created_at=from_iso(rec.get('createdAt')),
            updated_at=from_epoch((as_int(timing.get('completedAtMs')) or 0) / 1000)
            if timing.get('completedAtMs')
            else None,
            output_tokens=as_int(stats.get('outputTokens')) if role == 'assistant' else None,
            raw=rec,
        )
        blocks = _blocks(rec, report)
        names = [text_of(f.get('name')) for f in rec.get('files') or [] if isinstance(f, dict)]
        if names:
            blocks.append(Block('\n'.join(f'[File: {n or "file"}]' for n in names)))
        chain = split_blocks(base, blocks)
        messages.extend(chain)
        parent = chain[-1].external_id
    return ParsedConversation(
        external_id=chat_id,
        title='',
        messages=messages,
        active_leaf=parent,
        raw={'chatId': chat_id, 'url': f'https://chat.mistral.ai/chat/{chat_id}'},
    )


def items(doc: JsonDoc, report: ImportReport):
    for records in iter_items(doc):
        yield f'chat {doc.name}', partial(convert, records, report)
