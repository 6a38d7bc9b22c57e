"""OpenAI Codex CLI rollouts (``~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl``): one file, one conversation.

Read line by line. The envelope ``{timestamp, type, payload}``: ``session_meta`` (id, cwd), ``turn_context``
(the model from here on), ``response_item`` (messages, reasoning summaries, function and tool calls and
their outputs), ``event_msg`` (what the terminal showed: the same user text, answers and reasoning a
second time — stored once, from the response items — and ``token_count``, the exact usage of the reply
before it) and ``compacted``. The legacy rollout (a header line ``{id, timestamp, instructions}``, then
``record_type: state`` markers and bare response items) reads the same way. A rollout has no branches:
its messages form one chain, each identified by its line, so a file that grew adds only its new lines.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import PurePath
from typing import Any

from .base import ImportReport, ParsedConversation, ParsedMessage, from_iso
from .inputs import JsonDoc, iter_lines
from .projects import PREFIX

# user messages Codex writes itself (the environment, AGENTS.md, instructions): hidden context
INJECTED = ('<environment_context>', '<user_instructions>', '# AGENTS.md instructions', '<INSTRUCTIONS>')
DUPLICATE_EVENTS = {'user_message', 'agent_message', 'agent_reasoning'}
BOOKKEEPING_ITEMS = {'ghost_snapshot'}
BOOKKEEPING_EVENTS = {'token_count', 'task_started', 'task_complete', 'turn_aborted'}
CACHED_INPUT_PRICE = 0.1  # OpenAI bills cached input tokens at a tenth of the input price


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ''


def _content_text(content: Any) -> str:
    parts = content if isinstance(content, list) else [content]
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(p)
        elif isinstance(p, dict):
            if p.get('type') in ('input_image', 'image'):
                out.append('[Image]')
            else:
                out.append(_text(p.get('text')))
    return '\n\n'.join(t for t in out if t)


def _pretty(arguments: Any) -> str:
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return arguments
    return json.dumps(arguments, ensure_ascii=False, indent=2) if arguments not in (None, '') else ''


def _output_text(output: Any) -> str:
    """A function output is often JSON itself: ``{output, metadata{exit_code, duration_seconds}}``."""
    if isinstance(output, str):
        try:
            parsed = json.loads(output)
        except ValueError:
            return output
        output = parsed
    if isinstance(output, dict) and isinstance(output.get('output'), str):
        meta = output.get('metadata') if isinstance(output.get('metadata'), dict) else {}
        code = meta.get('exit_code')
        return output['output'] + (f'\n[exit code {code}]' if code not in (None, 0) else '')
    if isinstance(output, list):
        return _content_text(output)
    return _pretty(output) if not isinstance(output, str) else output


class _Session:
    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.line = 0
        self.session_id: str | None = None
        self.cwd: str | None = None
        self.started: datetime | None = None
        self.model: str | None = None
        self.meta: dict[str, Any] = {}
        self.items: list[tuple[int, datetime | None, str, dict[str, Any], str | None]] = []
        self.usage: dict[int, dict[str, Any]] = {}  # line of the item a token count belongs to -> usage
        self.tool_names: dict[str, str] = {}
        self.last_reply_line: int | None = None
        self.compacted = False
        self.when: datetime | None = None

    def bad(self) -> None:
        self.line += 1
        self.report.lines_skipped += 1

    def add(self, rec: dict[str, Any]) -> None:
        self.line += 1
        when = from_iso(rec.get('timestamp'))
        if when is not None:
            self.when = when
        rtype = rec.get('type')
        payload = rec.get('payload')
        if not isinstance(payload, dict):
            self._legacy(rec)
            return
        if rtype == 'session_meta':
            self.session_id = self.session_id or _text(payload.get('id')) or None
            self.cwd = self.cwd or _text(payload.get('cwd')) or None
            self.started = self.started or from_iso(payload.get('timestamp')) or when
            self.meta = {k: v for k, v in payload.items() if k not in ('instructions', 'base_instructions')}
        elif rtype == 'turn_context':
            self.model = _text(payload.get('model')) or self.model
            self.cwd = self.cwd or _text(payload.get('cwd')) or None
        elif rtype == 'response_item':
            self._item(payload, self.when)
        elif rtype == 'event_msg':
            etype = payload.get('type')
            if etype in DUPLICATE_EVENTS:
                self.items.append((self.line, self.when, 'event', payload, self.model))
            elif etype == 'token_count':
                info = payload.get('info') if isinstance(payload.get('info'), dict) else None
                last = info.get('last_token_usage') if info else None
                if isinstance(last, dict) and self.last_reply_line is not None:
                    self.usage.setdefault(self.last_reply_line, last)
                    self.last_reply_line = None
            elif etype == 'context_compacted':
                self.items.append((self.line, self.when, 'compaction', payload, self.model))
            elif etype not in BOOKKEEPING_EVENTS:
                self.report.unknown(f'codex event {etype or "?"}')
        elif rtype == 'compacted':
            self.compacted = True
            self.items.append((self.line, self.when, 'compacted', payload, self.model))
        else:
            self.report.unknown(f'codex {rtype or "?"}')

    def _legacy(self, rec: dict[str, Any]) -> None:
        if rec.get('record_type') == 'state':
            return
        if 'instructions' in rec and 'id' in rec and self.session_id is None:
            self.session_id = _text(rec.get('id')) or str(rec.get('id'))
            self.started = from_iso(rec.get('timestamp'))
            self.when = self.when or self.started
            self.meta = {k: v for k, v in rec.items() if k != 'instructions'}
            return
        if isinstance(rec.get('type'), str):
            self._item(rec, self.when)
        else:
            self.report.unknown('codex legacy record')

    def _item(self, item: dict[str, Any], when: datetime | None) -> None:
        itype = item.get('type')
        if itype in BOOKKEEPING_ITEMS:
            return
        self.items.append((self.line, when, 'item', item, self.model))
        if itype in ('function_call', 'custom_tool_call') and item.get('call_id'):
            self.tool_names[str(item['call_id'])] = _text(item.get('name')) or 'tool'
        model_made = itype not in ('function_call_output', 'custom_tool_call_output') and not (
            itype == 'message' and item.get('role') in ('user', 'developer', 'system')
        )
        if model_made:
            self.last_reply_line = self.line  # the next token count is this reply's usage


def _messages(s: _Session) -> list[ParsedMessage]:
    # the same text twice (response item and event): the response item is kept
    seen: set[tuple[str, str]] = set()
    for _, _, kind, p, _ in s.items:
        if kind != 'item':
            continue
        if p.get('type') == 'message':
            side = 'user' if p.get('role') == 'user' else 'assistant'
            seen.add((side, _content_text(p.get('content')).strip()))
        elif p.get('type') == 'reasoning':
            for part in p.get('summary') or []:
                if isinstance(part, dict):
                    seen.add(('reasoning', _text(part.get('text')).strip()))
    out: list[ParsedMessage] = []
    parent: str | None = None
    for line, when, kind, p, model in s.items:
        if kind == 'compaction' and s.compacted:
            continue  # the event beside a ``compacted`` record says the same
        msg = _message(s, line, when, kind, p, model, seen)
        if msg is None:
            continue
        msg.parent_id = parent
        parent = msg.external_id
        out.append(msg)
    return out


def _message(s: _Session, line, when, kind, p, model, seen) -> ParsedMessage | None:
    base = ParsedMessage(external_id=f'L{line}', parent_id=None, role='assistant', created_at=when, raw=p)
    if kind == 'event':
        etype = p.get('type')
        text = _text(p.get('message') or p.get('text')).strip()
        side = {'user_message': 'user', 'agent_message': 'assistant', 'agent_reasoning': 'reasoning'}[etype]
        if not text or (side, text) in seen:
            return None
        seen.add((side, text))
        base.content = text
        if side == 'user':
            base.role = 'user'
        elif side == 'reasoning':
            base.hidden, base.content_type = True, 'reasoning'
        base.model = model if side != 'user' else None
        return base
    if kind in ('compaction', 'compacted'):
        base.role, base.hidden = 'system', True
        summary = _text(p.get('message')).strip()
        base.content_type = 'compaction_summary' if summary else 'compaction'
        base.content = summary or 'Conversation compacted'
        return base
    itype = p.get('type')
    base.model = model
    if itype == 'message':
        role = _text(p.get('role')) or 'assistant'
        text = _content_text(p.get('content')).strip()
        base.content = text
        if role == 'user':
            base.role, base.model = 'user', None
            if text.lstrip().startswith(INJECTED):
                base.hidden, base.content_type = True, 'context'
        elif role in ('developer', 'system'):
            base.role, base.model, base.hidden, base.content_type = 'system', None, True, 'instructions'
        if p.get('phase'):
            base.finish_reason = _text(p.get('phase'))
    elif itype == 'reasoning':
        parts = [_text(x.get('text')) for x in p.get('summary') or [] if isinstance(x, dict)]
        text = '\n\n'.join(t for t in parts if t) or _content_text(p.get('content'))
        if not text:
            text = '[reasoning, encrypted]'
        base.content, base.hidden, base.content_type = text, True, 'reasoning'
    elif itype in ('function_call', 'custom_tool_call'):
        name = _text(p.get('name')) or 'tool'
        args = p.get('arguments') if itype == 'function_call' else p.get('input')
        base.content = f'{name}\n{_pretty(args)}'.strip()
        base.hidden, base.content_type, base.author_name = True, 'tool_use', name
    elif itype in ('function_call_output', 'custom_tool_call_output'):
        base.role, base.model = 'tool', None
        base.content = _output_text(p.get('output'))
        base.hidden, base.content_type = True, 'tool_result'
        base.author_name = s.tool_names.get(str(p.get('call_id')))
    elif itype in ('web_search_call', 'local_shell_call'):
        action = p.get('action') if isinstance(p.get('action'), dict) else {}
        name = 'web_search' if itype == 'web_search_call' else 'shell'
        base.content = f'{name}\n{_pretty(action)}'.strip()
        base.hidden, base.content_type, base.author_name = True, 'tool_use', name
    else:
        s.report.unknown(f'codex item {itype or "?"}')
        base.content = _pretty(p)
        base.hidden, base.content_type = True, str(itype or 'unknown')[:100]
    usage = s.usage.get(line)
    if usage:
        total_in = usage.get('input_tokens') if isinstance(usage.get('input_tokens'), int) else 0
        cached = usage.get('cached_input_tokens') if isinstance(usage.get('cached_input_tokens'), int) else 0
        out = usage.get('output_tokens') if isinstance(usage.get('output_tokens'), int) else 0
        base.input_tokens, base.output_tokens = total_in, out
        base.billed_input_tokens = (total_in - cached) + CACHED_INPUT_PRICE * cached
        base.raw = {**p, 'usage': usage, 'tokens': 'exact'}
    return base


def convert(doc: JsonDoc, report: ImportReport) -> ParsedConversation:
    """A rollout file → one parsed conversation (a chain)."""
    s = _Session(report)
    for rec in iter_lines(doc, s.bad):
        s.add(rec)
    messages = _messages(s)
    if not messages and s.session_id is None:
        raise ValueError('it holds no messages')
    session = s.session_id or doc.session or PurePath(doc.name).stem
    model = next((m.model for m in reversed(messages) if m.model), None) or s.model
    return ParsedConversation(
        external_id=session,
        title='',
        messages=messages,
        created_at=s.started,
        active_leaf=messages[-1].external_id if messages else None,
        model=model,
        raw={'session_meta': s.meta or None, 'cwd': s.cwd, 'file': doc.name},
        collection_external_id=f'{PREFIX}{s.cwd}' if s.cwd else None,
    )


def label(doc: JsonDoc) -> str:
    return f'rollout {doc.name}'


def items(doc: JsonDoc, report: ImportReport):
    yield label(doc), lambda: convert(doc, report)
