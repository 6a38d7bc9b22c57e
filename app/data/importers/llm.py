"""Simon Willison's ``llm`` CLI log database (``logs.db``): legacy conversations/responses and the newer
threads/turns/messages/parts store, deduplicated by id (a thread reuses its conversation's id)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import groupby
from typing import Any

from ...errors import UserError
from .base import Block, ImportReport, ParsedConversation, ParsedMessage, as_int, from_iso, split_blocks

LEGACY_TABLES = {'conversations', 'responses'}
STORE_TABLES = {'threads', 'turns', 'messages', 'parts'}
OUTPUTHUB_TABLES = {'schema_migration', 'conversation', 'output', 'prompt'}


def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}


def check(conn: sqlite3.Connection, name: str) -> None:
    have = tables(conn)
    if have >= OUTPUTHUB_TABLES:
        raise UserError(
            f'{name} is an Output Hub database, not an llm log: use "outputhub restore" to bring it back.'
        )
    if not (have >= LEGACY_TABLES and {'prompt', 'response'} <= columns(conn, 'responses')) and not (
        have >= STORE_TABLES
    ):
        raise UserError(
            f'{name} is an SQLite database but not an llm logs.db (no responses or threads tables).'
        )


def _thread_ids(conn: sqlite3.Connection, have: set[str]) -> set[str]:
    if not have >= STORE_TABLES:
        return set()
    return {
        r[0]
        for r in conn.execute(
            'SELECT id FROM threads WHERE tip_message_hash IS NOT NULL OR id IN (SELECT thread_id FROM turns)'
        )
    }


def count(conn: sqlite3.Connection) -> int:
    have = tables(conn)
    threads = _thread_ids(conn, have)
    total = len(threads)
    if have >= LEGACY_TABLES:
        for (cid,) in conn.execute('SELECT DISTINCT COALESCE(conversation_id, id) FROM responses'):
            total += cid not in threads
    return total


def conversations(
    conn: sqlite3.Connection, report: ImportReport
) -> Iterator[tuple[str, Callable[[], ParsedConversation]]]:
    """(label, build) per conversation: threads first, then legacy conversations no thread covers."""
    have = tables(conn)
    threads = _thread_ids(conn, have)
    if threads:
        fragments = 'fragments' in have
        for row in conn.execute('SELECT * FROM threads ORDER BY datetime_utc, id'):
            if row['id'] in threads:
                row = dict(row)
                yield (
                    f'thread {row.get("name") or ""!s:.60} ({row["id"]})',
                    (lambda row=row: _thread(conn, row, fragments, report)),
                )
    if have >= LEGACY_TABLES:
        names = {r['id']: dict(r) for r in conn.execute('SELECT * FROM conversations')}
        extra = _legacy_extras(conn, have)
        rows = conn.execute(
            'SELECT * FROM responses ORDER BY COALESCE(conversation_id, id), datetime_utc, id'
        )
        for cid, group in groupby(rows, key=lambda r: r['conversation_id'] or r['id']):
            responses = [dict(r) for r in group]
            if cid in threads:  # the same conversation, fuller in the new store
                continue
            info = names.get(cid, {})
            yield (
                f'conversation {info.get("name") or ""!s:.60} ({cid})',
                (lambda cid=cid, info=info, responses=responses: _legacy(cid, info, responses, extra)),
            )


# --------------------------------------------------------------------------- legacy tables


def _legacy_extras(conn: sqlite3.Connection, have: set[str]) -> dict[str, Callable[[str], Any]]:
    """Per-response lookups (fragments, attachments, tool calls) when those tables exist."""
    out: dict[str, Callable[[str], Any]] = {}
    if {'prompt_fragments', 'fragments'} <= have:
        out['prompt_fragments'] = lambda rid: [
            r[0]
            for r in conn.execute(
                'SELECT f.content FROM prompt_fragments pf JOIN fragments f ON f.id = pf.fragment_id '
                'WHERE pf.response_id = ? ORDER BY pf."order"',
                (rid,),
            )
        ]
    if {'system_fragments', 'fragments'} <= have:
        out['system_fragments'] = lambda rid: [
            r[0]
            for r in conn.execute(
                'SELECT f.content FROM system_fragments sf JOIN fragments f ON f.id = sf.fragment_id '
                'WHERE sf.response_id = ? ORDER BY sf."order"',
                (rid,),
            )
        ]
    if {'prompt_attachments', 'attachments'} <= have:
        out['attachments'] = lambda rid: [
            r[0]
            for r in conn.execute(
                'SELECT COALESCE(a.path, a.url, a.type, a.id) FROM prompt_attachments pa '
                'JOIN attachments a ON a.id = pa.attachment_id WHERE pa.response_id = ? ORDER BY pa."order"',
                (rid,),
            )
        ]
    if 'tool_calls' in have:
        out['tool_calls'] = lambda rid: [
            dict(r)
            for r in conn.execute(
                'SELECT name, arguments FROM tool_calls WHERE response_id = ? ORDER BY id', (rid,)
            )
        ]
    if 'tool_results' in have:
        out['tool_results'] = lambda rid: [
            dict(r)
            for r in conn.execute(
                'SELECT name, output FROM tool_results WHERE response_id = ? ORDER BY id', (rid,)
            )
        ]
    return out


def _legacy(cid: str, info: dict, responses: list[dict], extra: dict) -> ParsedConversation:
    messages: list[ParsedMessage] = []
    parent: str | None = None
    last_system = None
    for r in responses:
        rid = str(r['id'])
        when = from_iso(r.get('datetime_utc'))
        system = '\n'.join([*extra.get('system_fragments', lambda _: [])(rid), r.get('system') or '']).strip()
        if system and system != last_system:
            messages.append(ParsedMessage(f'{rid}:system', parent, 'system', system, created_at=when))
            parent, last_system = f'{rid}:system', system
        for i, res in enumerate(extra.get('tool_results', lambda _: [])(rid)):
            ext = f'{rid}:result:{i}'
            messages.append(
                ParsedMessage(
                    ext,
                    parent,
                    'tool',
                    res.get('output') or '',
                    'tool_result',
                    res.get('name'),
                    True,
                    created_at=when,
                )
            )
            parent = ext
        prompt = '\n'.join([*extra.get('prompt_fragments', lambda _: [])(rid), r.get('prompt') or '']).strip()
        files = extra.get('attachments', lambda _: [])(rid)
        if files:
            prompt = '\n'.join([prompt, *(f'[Attachment: {f}]' for f in files)]).strip()
        messages.append(ParsedMessage(f'{rid}:prompt', parent, 'user', prompt, created_at=when))
        parent = f'{rid}:prompt'
        model = r.get('resolved_model') or r.get('model')
        done = (
            when + timedelta(milliseconds=r['duration_ms']) if when and as_int(r.get('duration_ms')) else when
        )
        for i, call in enumerate(extra.get('tool_calls', lambda _: [])(rid)):
            ext = f'{rid}:call:{i}'
            text = f'{call.get("name") or "tool"}({call.get("arguments") or ""})'
            messages.append(
                ParsedMessage(
                    ext,
                    parent,
                    'assistant',
                    text,
                    'tool_call',
                    call.get('name'),
                    True,
                    model=model,
                    created_at=done,
                )
            )
            parent = ext
        raw = {k: v for k, v in r.items() if k not in ('prompt', 'response')}
        messages.append(
            ParsedMessage(
                rid,
                parent,
                'assistant',
                r.get('response') or '',
                model=model,
                created_at=done,
                input_tokens=as_int(r.get('input_tokens')),
                output_tokens=as_int(r.get('output_tokens')),
                raw=raw,
            )
        )
        parent = rid
    return ParsedConversation(
        external_id=str(cid),
        title=info.get('name') or '',
        messages=messages,
        created_at=messages[0].created_at if messages else None,
        updated_at=messages[-1].created_at if messages else None,
        active_leaf=parent,
        model=info.get('model') or None,
        raw=info or None,
    )


# --------------------------------------------------------------------------- threads / turns / messages / parts


_CHAIN_SQL = """
WITH RECURSIVE chain(hash) AS (
    SELECT value FROM json_each(?)
    UNION
    SELECT m.parent_hash FROM messages m JOIN chain c ON m.hash = c.hash WHERE m.parent_hash IS NOT NULL
)
SELECT m.* FROM messages m JOIN chain c ON m.hash = c.hash
"""


def _part_text(part: dict, payload: dict, fragments: dict[int, str]) -> str:
    if part.get('text') is not None:
        return part['text']
    if isinstance(payload.get('text'), str):
        return payload['text']
    refs = payload.get('text_ref')
    if isinstance(refs, list):
        return ''.join(
            r.get('literal', '') if 'literal' in r else fragments.get(r.get('fragment'), '')
            for r in refs
            if isinstance(r, dict)
        )
    return ''


def _thread(
    conn: sqlite3.Connection, thread: dict, has_fragments: bool, report: ImportReport
) -> ParsedConversation:
    turns = [
        dict(r)
        for r in conn.execute(
            'SELECT * FROM turns WHERE thread_id = ? ORDER BY datetime_utc, id', (thread['id'],)
        )
    ]
    tips = {t['tip_message_hash'] for t in turns if t.get('tip_message_hash')}
    if thread.get('tip_message_hash'):
        tips.add(thread['tip_message_hash'])
    rows = {r['hash']: dict(r) for r in conn.execute(_CHAIN_SQL, (json.dumps(sorted(tips)),))}
    parts: dict[str, list[dict]] = {}
    hashes = list(rows)
    for start in range(0, len(hashes), 500):
        chunk = hashes[start : start + 500]
        marks = ','.join('?' * len(chunk))
        for p in conn.execute(
            f'SELECT * FROM parts WHERE message_hash IN ({marks}) ORDER BY message_hash, position', chunk
        ):
            parts.setdefault(p['message_hash'], []).append(dict(p))
    fragments: dict[int, str] = {}
    if has_fragments:
        wanted = set()
        for plist in parts.values():
            for p in plist:
                payload = _payload(p)
                for r in payload.get('text_ref') or []:
                    if isinstance(r, dict) and 'fragment' in r:
                        wanted.add(r['fragment'])
        if wanted:
            marks = ','.join('?' * len(wanted))
            fragments = dict(
                conn.execute(
                    f'SELECT id, content FROM fragments WHERE id IN ({marks})', list(wanted)
                ).fetchall()
            )

    # Messages carry no time or model: the turn that first used (input) or produced (output) them does.
    stamp: dict[str, Any] = {}
    produced: dict[str, dict] = {}
    for t in turns:
        when = from_iso(t.get('datetime_utc'))
        h, inside = t.get('tip_message_hash'), True
        seen = set()
        while h and h in rows and h not in seen:
            seen.add(h)
            if h == t.get('parent_message_hash'):
                inside = False
            if inside and h not in produced:
                produced[h] = t
            stamp.setdefault(h, when)
            h = rows[h].get('parent_hash')
    thread_time = from_iso(thread.get('datetime_utc'))
    messages: list[ParsedMessage] = []
    for h, row in rows.items():
        turn = produced.get(h)
        role = row.get('role') or 'assistant'
        if role not in ('system', 'user', 'assistant', 'tool'):
            role = 'tool'
        model = (turn.get('resolved_model') or turn.get('model')) if turn else None
        blocks = []
        for p in parts.get(h, []):
            payload = _payload(p)
            ptype = p.get('type') or 'text'
            if ptype == 'text':
                blocks.append(Block(_part_text(p, payload, fragments)))
            elif ptype == 'reasoning':
                blocks.append(Block(_part_text(p, payload, fragments), True, 'reasoning'))
            elif ptype == 'tool_call':
                name = p.get('tool_name') or payload.get('name') or 'tool'
                args = payload.get('arguments')
                text = (
                    f'{name}({json.dumps(args, ensure_ascii=False) if not isinstance(args, str) else args})'
                )
                blocks.append(Block(text, True, 'tool_call', name))
            elif ptype == 'tool_result':
                name = p.get('tool_name') or payload.get('name')
                out = payload.get('output')
                text = out if isinstance(out, str) else json.dumps(out, ensure_ascii=False)
                blocks.append(Block(text or '', True, 'tool_result', name))
            elif ptype == 'attachment':
                att = payload.get('attachment') if isinstance(payload.get('attachment'), dict) else {}
                blocks.append(
                    Block(f'[Attachment: {att.get("path") or att.get("url") or att.get("id") or "file"}]')
                )
            else:
                report.unknown(f'llm part {ptype}')
                blocks.append(
                    Block(_part_text(p, payload, fragments) or json.dumps(payload), True, str(ptype))
                )
        is_tip = turn is not None and turn.get('tip_message_hash') == h
        base = ParsedMessage(
            external_id=h,
            parent_id=row.get('parent_hash'),
            role=role,
            model=model if role == 'assistant' else None,
            created_at=stamp.get(h) or thread_time,
            input_tokens=as_int(turn.get('input_tokens')) if is_tip else None,
            output_tokens=as_int(turn.get('output_tokens')) if is_tip else None,
            status='error' if turn and turn.get('error') else 'complete',
            raw={'provider_metadata': row.get('provider_metadata'), 'turn': turn.get('id') if turn else None},
        )
        messages.extend(split_blocks(base, blocks))
    created = min((m.created_at for m in messages if m.created_at), default=thread_time)
    updated = max((m.created_at for m in messages if m.created_at), default=thread_time)
    last_model = next(
        (t.get('resolved_model') or t.get('model') for t in reversed(turns) if t.get('model')), None
    )
    return ParsedConversation(
        external_id=str(thread['id']),
        title=thread.get('name') or '',
        messages=messages,
        created_at=thread_time or created,
        updated_at=updated,
        active_leaf=thread.get('tip_message_hash') or (turns[-1].get('tip_message_hash') if turns else None),
        model=last_model,
        raw=thread,
    )


def _payload(part: dict) -> dict:
    raw = part.get('payload')
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
