"""Open WebUI chat export: "Export All Chats" writes an array of chat rows ``[{id, user_id, title, chat,
created_at, updated_at, pinned, archived, meta, folder_id}]``, a chat's own download one row, and a chat
copied out of its database is the bare ``chat`` object ``{id, title, models[], history, messages[],
timestamp}``.

``chat.history`` is the tree: ``messages`` (a dictionary keyed by id) of ``{id, parentId, childrenIds[],
role, content, timestamp, model, modelName, usage, done, files[], sources[], output[]}`` and ``currentId``,
the leaf of the shown branch. ``chat.messages[]`` is a linear copy of that branch (read only when the tree
is missing). Units are mixed: message times and the row's dates are epoch seconds, ``chat.timestamp``
milliseconds. Reasoning and tool runs are either ``output[]`` items (newer versions) or ``<details
type="reasoning|tool_calls">`` blocks inside ``content``: both become hidden steps.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
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

ROLES = {'user', 'assistant', 'system'}
# <details type="reasoning" done="true" duration="3"><summary>Thought for 3 seconds</summary>…</details>
_DETAILS = re.compile(r'<details\b([^>]*)>(.*?)</details>\s*', re.DOTALL | re.IGNORECASE)
_ATTR = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"')
_SUMMARY = re.compile(r'<summary>.*?</summary>', re.DOTALL | re.IGNORECASE)
FOLDED_DETAILS = {'reasoning', 'tool_calls', 'code_interpreter'}


def when(value: Any) -> datetime | None:
    """Epoch seconds, milliseconds, microseconds or nanoseconds (told by size), or ISO text."""
    if isinstance(value, str) and value.strip().lstrip('-').replace('.', '', 1).isdigit():
        value = float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        size = abs(value)
        for limit, scale in ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3)):
            if size > limit:
                return from_epoch(value / scale)
        return from_epoch(value)
    return from_iso(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# --------------------------------------------------------------------------- a message's parts


def _detail_blocks(content: str, report: ImportReport) -> list[Block]:
    """The text with its reasoning / tool ``<details>`` blocks taken out as hidden steps, in order."""
    blocks: list[Block] = []
    pos = 0
    for m in _DETAILS.finditer(content):
        attrs = {k.lower(): html.unescape(v) for k, v in _ATTR.findall(m.group(1))}
        kind = attrs.get('type', '')
        if kind not in FOLDED_DETAILS:
            continue  # a <details> the person or the model wrote: it stays in the text
        before = content[pos : m.start()].strip()
        if before:
            blocks.append(Block(before))
        pos = m.end()
        inner = html.unescape(_SUMMARY.sub('', m.group(2), count=1)).strip()
        if kind == 'reasoning':
            # shown as a quote: every line starts with "> "
            lines = [line[2:] if line.startswith('> ') else line.lstrip('>') for line in inner.splitlines()]
            blocks.append(Block('\n'.join(lines).strip(), True, 'thinking'))
        else:
            name = attrs.get('name') or kind
            call = '\n'.join(x for x in (name, attrs.get('arguments', '')) if x)
            blocks.append(Block(call, True, 'tool_use', name))
            result = attrs.get('result') or inner
            if result:
                blocks.append(Block(result, True, 'tool_result', name, 'tool'))
    rest = content[pos:].strip()
    if rest or not blocks:
        blocks.append(Block(rest if blocks else content))
    return blocks


def _part_text(parts: Any) -> str:
    if isinstance(parts, str):
        return parts
    out = []
    for p in _list(parts):
        if isinstance(p, dict) and isinstance(p.get('text'), str):
            out.append(p['text'])
        elif isinstance(p, str):
            out.append(p)
    return '\n'.join(out)


def _output_blocks(output: list, report: ImportReport) -> list[Block]:
    """Responses-API style ``output[]`` items (reasoning, function calls and their outputs, messages)."""
    blocks: list[Block] = []
    names: dict[str, str] = {}
    for item in output:
        if not isinstance(item, dict):
            continue
        kind = item.get('type')
        if kind == 'reasoning':
            text = _part_text(item.get('content')) or _part_text(item.get('summary'))
            blocks.append(Block(text, True, 'thinking'))
        elif kind == 'function_call':
            name = text_of(item.get('name')) or 'tool'
            names[text_of(item.get('call_id'))] = name
            blocks.append(
                Block(
                    f'{name}\n{json_text(item.get("arguments"), keep_strings=True)}'.strip(),
                    True,
                    'tool_use',
                    name,
                )
            )
        elif kind == 'function_call_output':
            name = names.get(text_of(item.get('call_id'))) or 'tool'
            text = _part_text(item.get('output')) or json_text(item.get('output'), keep_strings=True)
            blocks.append(Block(text, True, 'tool_result', name, 'tool'))
        elif kind == 'message':
            blocks.append(Block(_part_text(item.get('content'))))
        else:
            report.unknown(f'openwebui {kind or "?"}')
    return blocks


def _sources(msg: dict[str, Any]) -> str:
    """The web pages and documents an answer drew on, as links (a hidden step: searchable, folded)."""
    out = []
    for s in _list(msg.get('sources')) or _list(msg.get('citations')):
        if not isinstance(s, dict):
            continue
        src = _dict(s.get('source'))
        metas = [m for m in _list(s.get('metadata')) if isinstance(m, dict)] or [{}]
        for meta in metas:
            url = text_of(meta.get('source')) or text_of(src.get('url'))
            name = text_of(meta.get('title')) or text_of(meta.get('name')) or text_of(src.get('name')) or url
            name = name.replace('[', '(').replace(']', ')')
            if url.startswith(('http://', 'https://')):
                out.append(f'- [{name or url}]({url})')
            elif name:
                out.append(f'- {name}')
    return '\n'.join(dict.fromkeys(out))


def _files(msg: dict[str, Any]) -> str:
    lines = []
    for f in _list(msg.get('files')):
        if not isinstance(f, dict):
            continue
        name = text_of(f.get('name')) or text_of(_dict(f.get('file')).get('filename'))
        if f.get('type') == 'image':
            url = text_of(f.get('url'))
            lines.append(f'[Image: {name or (url if url.startswith("http") else "image")}]')
        else:
            lines.append(f'[File: {name or "file"}]')
    return '\n'.join(lines)


def _blocks(msg: dict[str, Any], report: ImportReport) -> list[Block]:
    content = text_of(msg.get('content'))
    output = _list(msg.get('output'))
    blocks = _output_blocks(output, report) if output else []
    if not any(not b.hidden and b.text for b in blocks):
        # no structured output (or none with the answer's text): the content, its <details> folded
        # (they repeat the output's steps when there are any)
        detail = _detail_blocks(content, report)
        steps = [b for b in blocks if b.hidden] if not any(b.hidden for b in detail) else []
        blocks = steps + detail
    found = _sources(msg)
    if found:
        blocks.insert(0, Block(found, True, 'search_results', 'sources', 'tool'))
    files = _files(msg)
    if files:
        blocks.append(Block(files))
    return blocks


# --------------------------------------------------------------------------- a chat


def _tree(chat: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], str | None]:
    history = chat.get('history')
    if isinstance(history, dict) and isinstance(history.get('messages'), dict):
        found = {str(k): v for k, v in history['messages'].items() if isinstance(v, dict)}
        current = history.get('currentId')
        return found, (str(current) if current else None)
    linear = _list(chat.get('messages'))
    if history is None and linear:  # no tree: the linear copy of the shown branch
        found, parent = {}, None
        for i, m in enumerate(linear):
            if isinstance(m, dict):
                mid = str(m.get('id') or f'#{i}')
                found[mid] = {**m, 'parentId': m.get('parentId', parent)}
                parent = mid
        return found, parent
    raise ValueError('its "chat.history.messages" is missing or not an object')


def convert(item: Any, report: ImportReport) -> ParsedConversation:
    if not isinstance(item, dict):
        raise ValueError('a chat is not an object')
    row = item if isinstance(item.get('chat'), dict) else {}
    chat = row['chat'] if row else item
    tree, current = _tree(chat)
    models = [m for m in _list(chat.get('models')) if isinstance(m, str) and m]
    messages: list[ParsedMessage] = []
    for key, msg in tree.items():
        mid = str(msg.get('id') or key)
        role = msg.get('role') if isinstance(msg.get('role'), str) and msg['role'] in ROLES else 'assistant'
        model = None
        if role == 'assistant':
            idx = as_int(msg.get('modelIdx'))
            fallback = models[idx] if idx is not None and 0 <= idx < len(models) else None
            model = text_of(msg.get('model')) or fallback or (models[0] if len(models) == 1 else None)
        usage = _dict(msg.get('usage'))
        inp = as_int(usage.get('prompt_tokens', usage.get('input_tokens', usage.get('prompt_eval_count'))))
        out = as_int(usage.get('completion_tokens', usage.get('output_tokens', usage.get('eval_count'))))
        status = 'complete'
        if msg.get('error'):
            status = 'error'
        elif role == 'assistant' and msg.get('done') is False:
            status = 'incomplete'
        parent = msg.get('parentId')
        base = ParsedMessage(
            external_id=mid,
            parent_id=str(parent) if parent else None,
            role=role,
            hidden=role == 'system',
            model=model,
            created_at=when(msg.get('timestamp')),
            status=status,
            input_tokens=inp if role == 'assistant' else None,
            output_tokens=out if role == 'assistant' else None,
            raw=msg,
        )
        messages.extend(split_blocks(base, _blocks(msg, report)))
    conv_id = text_of(row.get('id')) or text_of(chat.get('id'))
    if not conv_id:
        # a chat copied out of the database has no id of its own: its first message's stands for it
        roots = sorted(
            (when(m.get('timestamp')) or datetime.max, str(m.get('id') or k))
            for k, m in tree.items()
            if not m.get('parentId')
        )
        if not roots:
            raise ValueError('a chat has no id and no first message')
        conv_id = f'chat-of-{roots[0][1]}'
    created = when(row.get('created_at')) or when(chat.get('timestamp'))
    updated = when(row.get('updated_at'))
    if updated is None and created is not None:  # a bare chat: its newest message, never before it began
        updated = max((m.created_at for m in messages if m.created_at), default=created)
        updated = max(updated, created)
    raw = {k: v for k, v in row.items() if k != 'chat'}
    raw['chat'] = {k: v for k, v in chat.items() if k not in ('history', 'messages')}
    return ParsedConversation(
        external_id=conv_id,
        title=text_of(row.get('title')) or text_of(chat.get('title')),
        messages=messages,
        created_at=created,
        updated_at=updated,
        active_leaf=current,  # the writer takes the newest leaf when it is missing or unknown
        model=models[0] if len(models) == 1 else None,
        favourite=bool(row.get('pinned')),
        raw=raw,
    )


def label(item: Any) -> str:
    if isinstance(item, dict):
        chat = _dict(item.get('chat')) or item
        title = text_of(item.get('title')) or text_of(chat.get('title'))
        return f'chat {title[:60]} ({item.get("id") or chat.get("id") or "no id"})'
    return 'chat (not an object)'


def items(doc: JsonDoc, report: ImportReport):
    for item in iter_items(doc):
        yield label(item), partial(convert, item, report)
