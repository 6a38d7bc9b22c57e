"""Gemini CLI sessions (``~/.gemini/tmp/<project hash>/chats/session-*.json``): one JSON document each.

``{sessionId, projectHash, startTime, lastUpdated, messages[], kind, summary?, directories?}``; a message is
``{id, timestamp, type: user|gemini|info|error|warning, content, thoughts[], toolCalls[], tokens, model}``.
Linear: each message follows the one before. Thoughts and tool calls (with their results) are hidden steps
before the reply; the reply keeps its model and exact token counts.

Saved chats (``/chat save <tag>``: ``~/.gemini/tmp/<project hash>/checkpoint-<tag, URL-encoded>.json``) hold
the Gemini API history itself: ``{history: [Content], authType?}``, or in older versions the bare
``[Content]`` array, a Content being ``{role: user|model, parts: [{text, thought?} | {functionCall} |
{functionResponse} | {inlineData} | {fileData}]}`` (google-gemini/gemini-cli
``packages/core/src/core/logger.ts``). No ids, no dates: each becomes the conversation "<tag>" of its project,
its messages keyed by the content up to them, so saving the same tag again after more turns adds only the new
ones, and a tag saved over with a different history branches where the two part; the file's time dates them.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import partial
from typing import Any
from urllib.parse import unquote

from .base import (
    Block,
    ImportReport,
    ParsedConversation,
    ParsedMessage,
    from_epoch,
    from_iso,
    json_text,
    split_blocks,
)
from .inputs import JsonDoc, iter_items, iter_lines
from .projects import PREFIX

CACHED_INPUT_PRICE = 0.25  # Google bills cached input tokens at about a quarter of the input price


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return '\n\n'.join(_text(v.get('text')) if isinstance(v, dict) else _text(v) for v in value).strip()
    return ''


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _tool_blocks(call: dict[str, Any]) -> list[Block]:
    name = _text(call.get('displayName')) or _text(call.get('name')) or 'tool'
    when = from_iso(call.get('timestamp'))
    out = [Block(f'{name}\n{json_text(call.get("args"))}'.strip(), True, 'tool_use', name, created_at=when)]
    results = []
    for r in call.get('result') or []:
        resp = r.get('functionResponse', {}).get('response') if isinstance(r, dict) else None
        if isinstance(resp, dict):
            results.append(_text(resp.get('output')) or _text(resp.get('error')) or json_text(resp))
    text = '\n\n'.join(t for t in results if t) or _text(call.get('resultDisplay'))
    if text or call.get('status'):
        out.append(Block(text or f'[{call.get("status")}]', True, 'tool_result', name, 'tool', when))
    return out


def convert(session: Any, report: ImportReport) -> ParsedConversation:
    if not isinstance(session, dict) or not session.get('sessionId'):
        raise ValueError('a session has no sessionId')
    raw_messages = session.get('messages') if isinstance(session.get('messages'), list) else []
    messages: list[ParsedMessage] = []
    parent = None
    for i, m in enumerate(raw_messages):
        if not isinstance(m, dict):
            continue
        mtype = m.get('type')
        when = from_iso(m.get('timestamp'))
        base = ParsedMessage(
            external_id=str(m.get('id') or f'#{i}'),
            parent_id=parent,
            role='assistant',
            created_at=when,
            raw=m,
        )
        blocks: list[Block] = []
        if mtype == 'user':
            base.role = 'user'
            blocks.append(Block(_text(m.get('content')) or _text(m.get('displayContent'))))
        elif mtype == 'gemini':
            base.model = _text(m.get('model')) or None
            for th in m.get('thoughts') or []:
                if isinstance(th, dict):
                    subject, body = _text(th.get('subject')), _text(th.get('description'))
                    text = '\n\n'.join(t for t in (subject and f'**{subject}**', body) if t)
                    blocks.append(Block(text, True, 'thinking', created_at=from_iso(th.get('timestamp'))))
            for call in m.get('toolCalls') or []:
                if isinstance(call, dict):
                    blocks.extend(_tool_blocks(call))
            blocks.append(Block(_text(m.get('content'))))
            tokens = m.get('tokens') if isinstance(m.get('tokens'), dict) else None
            if tokens:
                fresh, cached = _int(tokens.get('input')), _int(tokens.get('cached'))
                base.input_tokens = fresh
                base.output_tokens = _int(tokens.get('output')) + _int(tokens.get('thoughts'))
                base.billed_input_tokens = (
                    fresh - min(cached, fresh) + CACHED_INPUT_PRICE * min(cached, fresh)
                )
                base.raw = {**m, 'tokens_exact': True}
        elif mtype in ('info', 'error', 'warning'):
            base.role, base.hidden, base.content_type = 'system', True, str(mtype)
            blocks.append(Block(_text(m.get('content')), True, str(mtype)))
        else:
            report.unknown(f'gemini_cli {mtype or "?"}')
            base.role, base.hidden = 'system', True
            blocks.append(Block(_text(m.get('content')) or json_text(m), True, str(mtype or 'unknown')))
        chain = split_blocks(base, blocks)
        messages.extend(chain)
        parent = chain[-1].external_id
    dirs = session.get('directories')
    cwd = next((d for d in dirs if isinstance(d, str)), None) if isinstance(dirs, list) else None
    return ParsedConversation(
        external_id=str(session['sessionId']),
        title='',
        messages=messages,
        created_at=from_iso(session.get('startTime')),
        updated_at=from_iso(session.get('lastUpdated')),
        active_leaf=parent,
        summary=_text(session.get('summary')) or None,
        raw={k: v for k, v in session.items() if k != 'messages'},
        collection_external_id=f'{PREFIX}{cwd}' if cwd else None,
    )


def label(session: Any) -> str:
    return f'session {session.get("sessionId") if isinstance(session, dict) else "(not an object)"}'


def read_lines(doc: JsonDoc, report: ImportReport) -> dict[str, Any]:
    """The JSON Lines form as the one-document form: the header line, then messages, with
    ``{"$set": {...}}`` lines updating the header (``lastUpdated``)."""

    def bad() -> None:
        report.lines_skipped += 1

    session: dict[str, Any] = {}
    messages: list[dict[str, Any]] = []
    for rec in iter_lines(doc, bad):
        if not session:
            session = {k: v for k, v in rec.items() if k != 'messages'}
            messages.extend(m for m in rec.get('messages') or [] if isinstance(m, dict))
        elif isinstance(rec.get('$set'), dict):
            session.update(rec['$set'])
        elif 'type' in rec:
            messages.append(rec)
        else:
            report.unknown('gemini_cli line')
    return {**session, 'messages': messages}


# the first turn Gemini CLI sends on its own: the environment (date, OS, folder tree) and the model's "Got it"
CONTEXT_PROMPT = 'This is the Gemini CLI. We are setting up the context for our chat.'
_CHECKPOINT_NAME = re.compile(r'(?:^|/)(?:(?P<project>[0-9a-f]{64})/)?checkpoint-(?P<tag>.+)\.json$')


def is_checkpoint(obj: Any) -> bool:
    """A saved chat: the ``[Content]`` array or ``{history: [Content]}``."""
    history = obj.get('history') if isinstance(obj, dict) else obj
    return isinstance(history, list) and not (isinstance(obj, dict) and 'sessionId' in obj)


def _part_blocks(part: Any, role: str) -> list[Block]:
    if not isinstance(part, dict):
        return [Block(_text(part))] if isinstance(part, str) else []
    if isinstance(part.get('functionCall'), dict):
        call = part['functionCall']
        name = _text(call.get('name')) or 'tool'
        return [Block(f'{name}\n{json_text(call.get("args"))}'.strip(), True, 'tool_use', name)]
    if isinstance(part.get('functionResponse'), dict):
        resp = part['functionResponse']
        name = _text(resp.get('name')) or 'tool'
        out = resp.get('response')
        text = (_text(out.get('output')) or _text(out.get('error'))) if isinstance(out, dict) else ''
        return [Block(text or json_text(out) or '[no output]', True, 'tool_result', name, 'tool')]
    for key, label in (('inlineData', 'Attachment'), ('fileData', 'File')):
        if isinstance(part.get(key), dict):
            data = part[key]
            what = _text(data.get('displayName')) or _text(data.get('fileUri')) or _text(data.get('mimeType'))
            return [Block(f'[{label}: {what or "file"}]')]
    text = _text(part.get('text'))
    if part.get('thought') is True:
        return [Block(text, True, 'thinking')] if text else []
    return [Block(text)] if text else []


def convert_checkpoint(obj: Any, name: str, mtime: float | None, report: ImportReport) -> ParsedConversation:
    history = obj.get('history') if isinstance(obj, dict) else obj
    m = _CHECKPOINT_NAME.search(name.replace('\\', '/'))
    tag = unquote(m.group('tag')) if m else name
    project = m.group('project') if m else None
    when = from_epoch(mtime) if mtime is not None else None
    messages: list[ParsedMessage] = []
    parent = None
    key = hashlib.sha256()
    for i, content in enumerate(history if isinstance(history, list) else []):
        if not isinstance(content, dict):
            report.unknown('gemini_cli checkpoint entry')
            continue
        role = content.get('role')
        parts = content.get('parts') if isinstance(content.get('parts'), list) else []
        key.update(json.dumps([role, parts], sort_keys=True, ensure_ascii=False).encode())
        base = ParsedMessage(
            external_id=key.hexdigest()[:24], parent_id=parent, role='assistant', created_at=when, raw=content
        )
        blocks = [b for part in parts for b in _part_blocks(part, str(role))]
        if role == 'user':
            base.role = 'user'
            if blocks and all(b.content_type == 'tool_result' for b in blocks):
                base.role = 'tool'  # the results of the model's calls go back to it as a user turn
        elif role != 'model':
            report.unknown(f'gemini_cli checkpoint {role or "?"}')
            base.role, base.hidden = 'system', True
        if i < 2 and (
            (role == 'user' and any(b.text.startswith(CONTEXT_PROMPT) for b in blocks))
            or (i == 1 and messages and messages[-1].content_type == 'context')
        ):
            base.role, base.hidden, base.content_type = 'system', True, 'context'
            blocks = [Block(b.text, True, 'context') for b in blocks]
        chain = split_blocks(base, blocks or [Block('', True, 'empty')])
        messages.extend(chain)
        parent = chain[-1].external_id
    scope = f'checkpoint:{project}:' if project else 'checkpoint:'
    return ParsedConversation(
        external_id=f'{scope}{tag}',
        title=tag,
        messages=messages,
        created_at=when,
        updated_at=when,
        active_leaf=parent,
        raw={k: v for k, v in obj.items() if k != 'history'} if isinstance(obj, dict) else None,
    )


def items(doc: JsonDoc, report: ImportReport):
    if doc.jsonl:
        yield f'session {doc.name}', lambda: convert(read_lines(doc, report), report)
        return
    for session in iter_items(doc):
        if is_checkpoint(session):
            yield (
                f'saved chat {doc.name}',
                partial(convert_checkpoint, session, f'{doc.folder}/{doc.name}', doc.mtime, report),
            )
        else:
            yield label(session), partial(convert, session, report)
