"""OpenAI Codex CLI rollouts (``~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl``): one file, one conversation.

Read line by line. The envelope ``{timestamp, type, payload}``: ``session_meta`` (id, cwd), ``turn_context``
(the model from here on), ``response_item`` (messages, reasoning summaries, function and tool calls and
their outputs), ``event_msg`` (what the terminal showed: the same user text, answers and reasoning a
second time — stored once, from the response items — and ``token_count``, the exact usage of the reply
before it) and ``compacted``. The legacy rollout (a header line ``{id, timestamp, instructions}``, then
``record_type: state`` markers and bare response items) reads the same way. A rollout has no branches:
its messages form one chain, each identified by its line, so a file that grew adds only its new lines.

Sub-agents (``spawn_agent``): a sub-agent runs as a thread of its own, written to a rollout of its own
whose ``session_meta.payload.source`` is ``{"subagent": {"thread_spawn": {"parent_thread_id", "depth",
"agent_nickname"?, "agent_role"?}}}`` (openai/codex ``SessionSource::SubAgent(SubAgentSource::ThreadSpawn)``,
serde lowercase / snake_case). The parent's ``spawn_agent`` function call gets the child's thread id back
(``{"agent_id": …}``, the first builds ``agent_id: …``; the ``collab_agent_spawn_end`` event's
``new_thread_id`` says the same). A child rollout imported with its parent is folded into the parent's
conversation, as Claude Code sub-agents are: its messages hidden, right before the output of the call
that spawned it (else after the last parent message before it began), ids prefixed with its thread id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import Any

from .base import ImportReport, ParsedConversation, ParsedMessage, from_iso, text_of
from .inputs import JsonDoc, iter_lines
from .projects import PREFIX

# user messages Codex writes itself (the environment, AGENTS.md, instructions): hidden context
INJECTED = ('<environment_context>', '<user_instructions>', '# AGENTS.md instructions', '<INSTRUCTIONS>')
DUPLICATE_EVENTS = {'user_message', 'agent_message', 'agent_reasoning'}
BOOKKEEPING_ITEMS = {'ghost_snapshot'}
BOOKKEEPING_EVENTS = {'token_count', 'task_started', 'task_complete', 'turn_aborted'}
SPAWN_TOOLS = {'spawn_agent'}
MAX_SUBAGENT_DEPTH = 8  # Codex itself allows one or two levels
CACHED_INPUT_PRICE = 0.1  # OpenAI bills cached input tokens at a tenth of the input price


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
                out.append(text_of(p.get('text')))
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
        self.parent_thread: str | None = None  # a sub-agent's rollout: the thread that spawned it
        self.agent_name: str | None = None  # its nickname or role
        self.spawns: dict[str, str] = {}  # spawn_agent call id -> the child's thread id

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
            self.session_id = self.session_id or text_of(payload.get('id')) or None
            self.cwd = self.cwd or text_of(payload.get('cwd')) or None
            self.started = self.started or from_iso(payload.get('timestamp')) or when
            self.meta = {k: v for k, v in payload.items() if k not in ('instructions', 'base_instructions')}
            spawn = thread_spawn(payload)
            if spawn is not None and self.parent_thread is None:
                self.parent_thread = spawn['parent_thread_id']
                name = spawn.get('agent_nickname') or spawn.get('agent_role')
                self.agent_name = name if isinstance(name, str) and name else None
        elif rtype == 'turn_context':
            self.model = text_of(payload.get('model')) or self.model
            self.cwd = self.cwd or text_of(payload.get('cwd')) or None
        elif rtype == 'response_item':
            self._item(payload, self.when)
        elif rtype == 'event_msg':
            etype = payload.get('type') if isinstance(payload.get('type'), str) else '?'
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
            elif isinstance(etype, str) and etype.startswith('collab_'):
                # what the terminal showed of spawn_agent / send_input / wait / close_agent: the calls and
                # their outputs are the response items; the spawn's end names the child thread
                child = payload.get('new_thread_id')
                if etype == 'collab_agent_spawn_end' and isinstance(child, str) and payload.get('call_id'):
                    self.spawns.setdefault(str(payload['call_id']), child)
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
            self.session_id = text_of(rec.get('id')) or str(rec.get('id'))
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
        if not isinstance(itype, str):
            self.report.unknown('codex item ?')
            return
        if itype in BOOKKEEPING_ITEMS:
            return
        self.items.append((self.line, when, 'item', item, self.model))
        if itype in ('function_call', 'custom_tool_call') and item.get('call_id'):
            self.tool_names[str(item['call_id'])] = text_of(item.get('name')) or 'tool'
        model_made = itype not in ('function_call_output', 'custom_tool_call_output') and not (
            itype == 'message' and item.get('role') in ('user', 'developer', 'system')
        )
        if model_made:
            self.last_reply_line = self.line  # the next token count is this reply's usage
        if itype == 'function_call_output' and self.tool_names.get(str(item.get('call_id'))) in SPAWN_TOOLS:
            child = _spawned_id(item.get('output'))
            if child:
                self.spawns.setdefault(str(item['call_id']), child)


_EVENT_SIDES = {'user_message': 'user', 'agent_message': 'assistant', 'agent_reasoning': 'reasoning'}


def _summary(p: dict[str, Any]) -> list[Any]:
    """A reasoning item's summary parts (a list in every rollout; anything else: none)."""
    parts = p.get('summary')
    return parts if isinstance(parts, list) else []


def _messages(s: _Session) -> list[ParsedMessage]:
    # the same text twice (response item and event): the response item is kept
    seen: set[tuple[str, str]] = set()
    item_keys: dict[int, list[tuple[str, str]]] = {}
    for line, _, kind, p, _ in s.items:
        if kind != 'item':
            continue
        if p.get('type') == 'message':
            side = 'user' if p.get('role') == 'user' else 'assistant'
            item_keys[line] = [(side, _content_text(p.get('content')).strip())]
        elif p.get('type') == 'reasoning':
            item_keys[line] = [
                ('reasoning', text_of(part.get('text')).strip())
                for part in _summary(p)
                if isinstance(part, dict)
            ]
        seen.update(item_keys.get(line, ()))
    # An event written before its response item (Codex logs a reasoning summary so) was a message of its
    # own when the file was read between the two lines: the item takes that message's place. Events and
    # items are paired in order (the same text may come back later in the session, as another pair).
    replaces: dict[int, int] = {}  # item line -> the line of the event before it that says the same
    waiting: dict[tuple[str, str], list[int]] = {}  # events not paired yet, by text
    ahead: dict[tuple[str, str], int] = {}  # items whose event has not come yet, by text
    for line, _, kind, p, _ in s.items:
        if kind == 'event' and isinstance(p.get('type'), str):
            key = (_EVENT_SIDES.get(p['type'], ''), text_of(p.get('message') or p.get('text')).strip())
            if ahead.get(key):
                ahead[key] -= 1  # the event after its item (a user's message): paired, nothing to replace
            else:
                waiting.setdefault(key, []).append(line)
        for key in item_keys.get(line, ()) if kind == 'item' else ():
            if waiting.get(key):
                replaces.setdefault(line, waiting[key].pop(0))
            else:
                ahead[key] = ahead.get(key, 0) + 1
    out: list[ParsedMessage] = []
    parent: str | None = None
    for line, when, kind, p, model in s.items:
        if kind == 'compaction' and s.compacted:
            continue  # the event beside a ``compacted`` record says the same
        msg = _message(s, line, when, kind, p, model, seen)
        if msg is None:
            continue
        if line in replaces:
            msg.replaces = f'L{replaces[line]}'
        msg.parent_id = parent
        parent = msg.external_id
        out.append(msg)
    return out


def _message(s: _Session, line, when, kind, p, model, seen) -> ParsedMessage | None:
    base = ParsedMessage(external_id=f'L{line}', parent_id=None, role='assistant', created_at=when, raw=p)
    if kind == 'event':
        etype = p.get('type')
        text = text_of(p.get('message') or p.get('text')).strip()
        side = _EVENT_SIDES[etype]
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
        summary = text_of(p.get('message')).strip()
        base.content_type = 'compaction_summary' if summary else 'compaction'
        base.content = summary or 'Conversation compacted'
        return base
    itype = p.get('type')
    base.model = model
    if itype == 'message':
        role = text_of(p.get('role')) or 'assistant'
        text = _content_text(p.get('content')).strip()
        base.content = text
        if role == 'user':
            base.role, base.model = 'user', None
            if text.lstrip().startswith(INJECTED):
                base.hidden, base.content_type = True, 'context'
        elif role in ('developer', 'system'):
            base.role, base.model, base.hidden, base.content_type = 'system', None, True, 'instructions'
        if p.get('phase'):
            base.finish_reason = text_of(p.get('phase'))
    elif itype == 'reasoning':
        parts = [text_of(x.get('text')) for x in _summary(p) if isinstance(x, dict)]
        text = '\n\n'.join(t for t in parts if t) or _content_text(p.get('content'))
        if not text:
            text = '[reasoning, encrypted]'
        base.content, base.hidden, base.content_type = text, True, 'reasoning'
    elif itype in ('function_call', 'custom_tool_call'):
        name = text_of(p.get('name')) or 'tool'
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


def thread_spawn(meta: Any) -> dict[str, Any] | None:
    """``source.subagent.thread_spawn`` of a ``session_meta`` payload (a sub-agent's rollout) when it names
    its parent thread, else None."""
    source = meta.get('source') if isinstance(meta, dict) else None
    sub = source.get('subagent') if isinstance(source, dict) else None
    spawn = sub.get('thread_spawn') if isinstance(sub, dict) else None
    if (
        isinstance(spawn, dict)
        and isinstance(spawn.get('parent_thread_id'), str)
        and spawn['parent_thread_id']
    ):
        return spawn
    return None


def _spawned_id(output: Any) -> str | None:
    """The child thread id a ``spawn_agent`` call returned: ``{"agent_id": …}`` or ``agent_id: …``."""
    if isinstance(output, dict):
        output = output.get('content') if 'agent_id' not in output else output
    if isinstance(output, str):
        text = output.strip()
        try:
            output = json.loads(text)
        except ValueError:
            head, _, rest = text.partition(':')
            return rest.strip() or None if head.strip() == 'agent_id' else None
    if isinstance(output, dict) and isinstance(output.get('agent_id'), str):
        return output['agent_id'].strip() or None
    return None


@dataclass
class Family:
    """Which rollouts of an import are sub-agent threads of another one there (by thread id)."""

    children: dict[str, list[JsonDoc]] = field(default_factory=dict)  # parent thread id -> child rollouts
    folded: set[str] = field(default_factory=set)  # names of the rollouts read with their parent


def head(doc: JsonDoc) -> tuple[str | None, str | None]:
    """(thread id, parent thread id) from a rollout's ``session_meta`` (its first lines only)."""
    for n, rec in enumerate(iter_lines(doc, lambda: None)):
        payload = rec.get('payload')
        if rec.get('type') == 'session_meta' and isinstance(payload, dict):
            spawn = thread_spawn(payload)
            return (text_of(payload.get('id')) or None, spawn['parent_thread_id'] if spawn else None)
        if n >= 4:
            break
    return doc.session, None


def prepare(docs: list[JsonDoc]) -> Family:
    """Sub-agent rollouts whose parent thread is in the same import are read with it, not on their own.
    Only threads whose chain of parents ends at a thread of its own: rollouts that name each other as
    parent (a damaged or hand-edited folder) are each a conversation, not folded into one another and lost."""
    heads = [(d, *head(d)) for d in docs]
    ids = {sid for _, sid, _ in heads if sid}
    parent_of = {
        sid: parent for _, sid, parent in heads if sid and parent and parent in ids and parent != sid
    }

    def rooted(sid: str) -> bool:
        seen: set[str] = set()
        while sid in parent_of:
            if sid in seen:
                return False
            seen.add(sid)
            sid = parent_of[sid]
        return True

    family = Family()
    for d, sid, parent in heads:
        if sid in parent_of and rooted(sid):
            family.children.setdefault(parent, []).append(d)
            family.folded.add(d.name)
    return family


def _read(doc: JsonDoc, report: ImportReport) -> tuple[_Session, list[ParsedMessage]]:
    s = _Session(report)
    for rec in iter_lines(doc, s.bad):
        s.add(rec)
    return s, _messages(s)


def _fold(
    s: _Session,
    messages: list[ParsedMessage],
    report: ImportReport,
    family: Family,
    seen: set[str],
    depth: int = 1,
) -> list[ParsedMessage]:
    """The thread's messages with those of its sub-agent threads (and theirs) put in as one folded chain
    each, right before the output of the spawn_agent call that started it."""
    spawned_by = {child: call for call, child in s.spawns.items()}
    out = list(messages)
    for child_doc in family.children.get(s.session_id or '', []):
        if child_doc.name in seen:
            continue  # a thread named as its own ancestor
        seen.add(child_doc.name)
        child, child_msgs = _read(child_doc, report)
        child_id = child.session_id or PurePath(child_doc.name).stem
        if depth < MAX_SUBAGENT_DEPTH:
            child_msgs = _fold(child, child_msgs, report, family, seen, depth + 1)
        if not child_msgs:
            continue
        who = f'sub-agent {child.agent_name or child_id}'
        for m in child_msgs:
            m.external_id = f'{child_id}:{m.external_id}'
            m.hidden = True
            if m.content_type in ('text', None, ''):
                m.content_type = 'subagent'
            m.author_name = m.author_name or who
        call = spawned_by.get(child_id)
        at = next((i for i, m in enumerate(out) if call and _call_id(m) == call and m.role == 'tool'), None)
        if at is None:  # no spawn call seen (a cut parent): after the last message before it began
            start = child_msgs[0].created_at
            before = [i for i, m in enumerate(out) if start and m.created_at and m.created_at <= start]
            at = before[-1] + 1 if before else len(out)
        out[at:at] = child_msgs
    parent: str | None = None
    for m in out:  # a rollout is one chain: so is the thread with its sub-agents folded in
        m.parent_id = parent
        parent = m.external_id
    return out


def _call_id(m: ParsedMessage) -> str | None:
    raw = m.raw if isinstance(m.raw, dict) else {}
    return str(raw['call_id']) if raw.get('call_id') is not None else None


def convert(doc: JsonDoc, report: ImportReport, family: Family | None = None) -> ParsedConversation:
    """A rollout file → one parsed conversation (a chain), with the sub-agent threads ``family`` holds for
    it folded in."""
    s, messages = _read(doc, report)
    if not messages and s.session_id is None:
        raise ValueError('it holds no messages')
    session = s.session_id or doc.session or PurePath(doc.name).stem
    model = next((m.model for m in reversed(messages) if m.model), None) or s.model
    if family is not None and family.children.get(s.session_id or ''):
        messages = _fold(s, messages, report, family, {doc.name})
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


def items(doc: JsonDoc, report: ImportReport, family: Family | None = None):
    """One conversation per rollout; a sub-agent's rollout whose parent is in the import goes in with it."""
    if family is not None and doc.name in family.folded:
        return
    yield label(doc), lambda: convert(doc, report, family)
