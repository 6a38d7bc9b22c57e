"""LibreChat "Export conversation" (JSON): ``{conversationId, endpoint, title, exportAt, branches, recursive,
options{model, …}, messagesTree | messages}``.

With ``recursive: true`` the messages nest through ``children[]`` (the nesting is the tree); otherwise
``messages`` is flat and ``parentMessageId`` links them, the first one's being the all-zero id. A message
is ``{messageId, parentMessageId, sender (a display label), isCreatedByUser, text, content[], model,
createdAt, updatedAt, tokenCount, promptTokens, finish_reason, error, unfinished}``: the role comes from
``isCreatedByUser``. Newer messages carry ``content[]`` parts (``text``, ``think``, ``tool_call``,
images); thinking and tool calls become hidden steps. There is no pointer to the shown branch: the newest
leaf is taken. ``exportAt`` is a time of day only and not used.
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
    from_iso,
    json_text,
    split_blocks,
    text_of,
)
from .inputs import JsonDoc, iter_items

NO_PARENT = '00000000-0000-0000-0000-000000000000'


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _part_text(value: Any) -> str:
    if isinstance(value, dict):  # the Assistants endpoint: {value, annotations}
        return text_of(value.get('value'))
    return text_of(value)


def _blocks(msg: dict[str, Any], report: ImportReport) -> list[Block]:
    blocks: list[Block] = []
    parts = msg.get('content')
    for p in parts if isinstance(parts, list) else []:
        if not isinstance(p, dict):
            continue
        kind = p.get('type')
        if kind == 'text':
            blocks.append(Block(_part_text(p.get('text'))))
        elif kind == 'think':
            blocks.append(Block(_part_text(p.get('think')), True, 'thinking'))
        elif kind == 'tool_call':
            call = _dict(p.get('tool_call'))
            name = text_of(call.get('name')) or text_of(call.get('type')) or 'tool'
            args = call.get('args', call.get('arguments', _dict(call.get('function')).get('arguments')))
            blocks.append(
                Block(f'{name}\n{json_text(args, keep_strings=True)}'.strip(), True, 'tool_use', name)
            )
            output = call.get('output', _dict(call.get('function')).get('output'))
            if output not in (None, ''):
                blocks.append(Block(json_text(output, keep_strings=True), True, 'tool_result', name, 'tool'))
        elif kind in ('image_file', 'image_url'):
            blocks.append(Block('[Image]'))
        elif kind == 'error':
            blocks.append(Block(json_text(p.get('error') or p.get('text'), keep_strings=True)))
        elif kind in ('agent_update', 'text_delta'):
            continue
        else:
            report.unknown(f'librechat {kind or "?"}')
    text = text_of(msg.get('text'))
    if text and not any(not b.hidden and b.text for b in blocks):
        blocks.append(Block(text))
    names = [text_of(f.get('filename')) for f in msg.get('files') or [] if isinstance(f, dict)]
    if names:
        blocks.append(Block('\n'.join(f'[File: {n or "file"}]' for n in names)))
    return blocks


def _flatten(nodes: list, nested: bool) -> list[tuple[dict[str, Any], str | None]]:
    """(message, parent id) pairs, parents first. Nested: the enclosing message is the parent (as LibreChat
    reads its own files); a message with neither text nor parts hands its children to its own parent."""
    out: list[tuple[dict[str, Any], str | None]] = []
    stack = [(n, None) for n in reversed(nodes)]
    while stack:
        node, parent = stack.pop()
        if not isinstance(node, dict):
            continue
        mid = node.get('messageId')
        if not nested:
            parent = node.get('parentMessageId')
        empty = not node.get('text') and not node.get('content')
        if not empty and mid:
            out.append((node, str(parent) if parent and parent != NO_PARENT else None))
        if nested:
            below = str(mid) if mid and not empty else parent
            kids = node.get('children')
            stack.extend((k, below) for k in reversed(kids if isinstance(kids, list) else []))
    return out


def convert(doc: Any, report: ImportReport) -> ParsedConversation:
    if not isinstance(doc, dict) or not doc.get('conversationId'):
        raise ValueError('a LibreChat export has no conversationId')
    nodes = doc.get('messagesTree') if 'messagesTree' in doc else doc.get('messages')
    if not isinstance(nodes, list):
        raise ValueError('its "messagesTree" / "messages" is missing or not a list')
    nested = bool(doc.get('recursive')) or 'messagesTree' in doc
    options = _dict(doc.get('options'))
    conv_model = text_of(options.get('model')) or None
    messages: list[ParsedMessage] = []
    for msg, parent in _flatten(nodes, nested):
        is_user = bool(msg.get('isCreatedByUser'))
        sender = text_of(msg.get('sender'))
        status = 'complete'
        if msg.get('error'):
            status = 'error'
        elif msg.get('unfinished'):
            status = 'incomplete'
        base = ParsedMessage(
            external_id=str(msg['messageId']),
            parent_id=parent,
            role='user' if is_user else 'assistant',
            model=None if is_user else (text_of(msg.get('model')) or conv_model),
            created_at=from_iso(msg.get('createdAt')),
            updated_at=from_iso(msg.get('updatedAt')),
            status=status,
            finish_reason=text_of(msg.get('finish_reason')) or None,
            input_tokens=None if is_user else as_int(msg.get('promptTokens')),
            output_tokens=None if is_user else as_int(msg.get('tokenCount')),
            author_name=sender if not is_user and sender else None,
            raw={k: v for k, v in msg.items() if k != 'children'},
        )
        messages.extend(split_blocks(base, _blocks(msg, report) or [Block('')]))
    return ParsedConversation(
        external_id=str(doc['conversationId']),
        title=text_of(doc.get('title')) or text_of(options.get('title')),
        messages=messages,
        active_leaf=None,  # no pointer: the writer takes the newest leaf
        model=conv_model,
        raw={k: v for k, v in doc.items() if k not in ('messagesTree', 'messages')},
    )


def label(doc: Any) -> str:
    if isinstance(doc, dict):
        return f'conversation {text_of(doc.get("title"))[:60]} ({doc.get("conversationId") or "no id"})'
    return 'conversation (not an object)'


def items(doc: JsonDoc, report: ImportReport):
    for item in iter_items(doc):
        yield label(item), partial(convert, item, report)
