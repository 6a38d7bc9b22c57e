"""Perplexity threads, as third-party exporters save them (there is no official bulk export).

Two shapes: the site's own thread response ``{entries[], thread_metadata, has_next_page, …}`` where an
entry is one question and answer (``query_str``, ``blocks[]`` with ``intended_usage`` — ``ask_text``
holds the answer's Markdown, web results and cited rows the sources — ``display_model``,
``entry_created_datetime``); and an exporter's wrapper ``{metadata{thread_id, thread_title},
conversations[{uuid, query, answer, model, timestamp, sources[]}]}``. One thread is one linear
conversation; its sources become links under the answer; plans and research steps are hidden steps.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from .base import Block, ImportReport, ParsedConversation, ParsedMessage, from_iso, split_blocks, text_of
from .inputs import JsonDoc, iter_items


def _link(source: Any) -> str:
    if isinstance(source, str) and source.startswith(('http://', 'https://')):
        return f'- <{source}>'
    if not isinstance(source, dict):
        return ''
    url = text_of(source.get('url')) or text_of(source.get('link'))
    if not url.startswith(('http://', 'https://')):
        return ''
    title = (
        (text_of(source.get('name')) or text_of(source.get('title')) or url)
        .replace('[', '(')
        .replace(']', ')')
    )
    return f'- [{title}]({url})'


def _sources(items: list) -> str:
    links = [x for x in (_link(s) for s in items) if x]
    return ('Sources:\n' + '\n'.join(dict.fromkeys(links))) if links else ''


def _entry_blocks(entry: dict[str, Any], report: ImportReport) -> tuple[str, list[Block], list]:
    answer = ''
    hidden: list[Block] = []
    sources: list = []
    for block in entry.get('blocks') or []:
        if not isinstance(block, dict):
            continue
        usage = block.get('intended_usage')
        if usage == 'ask_text' or (not answer and isinstance(block.get('markdown_block'), dict)):
            md = block.get('markdown_block') if isinstance(block.get('markdown_block'), dict) else {}
            answer = (
                text_of(md.get('answer')) or ''.join(text_of(c) for c in md.get('chunks') or []) or answer
            )
        elif usage == 'web_results':
            wr = block.get('web_result_block') if isinstance(block.get('web_result_block'), dict) else {}
            sources.extend(wr.get('web_results') or [])
        elif usage == 'sources_answer_mode':
            rows = (block.get('sources_mode_block') or {}).get('rows') or []
            sources.extend(
                r.get('web_result') for r in rows if isinstance(r, dict) and r.get('status') == 'SELECTED'
            )
        elif usage in ('plan', 'workflow_root', 'pro_search_steps'):
            payload = {k: v for k, v in block.items() if k != 'intended_usage'}
            hidden.append(Block(json.dumps(payload, ensure_ascii=False, indent=2), True, 'plan'))
        elif usage in ('media_items', 'unified_assets', 'answer_tabs', 'finance_widget', None):
            continue
        else:
            report.unknown(f'perplexity {usage}')
    if not sources:
        src = entry.get('sources')
        sources = (src.get('sources') if isinstance(src, dict) else src) or []
    return answer, hidden, sources if isinstance(sources, list) else []


def convert(thread: Any, report: ImportReport) -> ParsedConversation:
    if not isinstance(thread, dict):
        raise ValueError('a thread is not a JSON object')
    meta = thread.get('thread_metadata') or thread.get('metadata') or {}
    meta = meta if isinstance(meta, dict) else {}
    rounds = []
    if isinstance(thread.get('entries'), list):
        for e in thread['entries']:
            if not isinstance(e, dict) or not isinstance(e.get('query_str'), str):
                continue
            answer, hidden, sources = _entry_blocks(e, report)
            when = from_iso(e.get('entry_created_datetime') or e.get('updated_datetime'))
            model = text_of(e.get('display_model')) or text_of(e.get('user_selected_model')) or None
            rid = str(e.get('uuid') or e.get('context_uuid') or len(rounds))
            rounds.append((rid, when, e['query_str'], answer, hidden, sources, model, e))
        thread_id = next(
            (
                str(e.get('backend_uuid'))
                for e in thread['entries']
                if isinstance(e, dict) and e.get('backend_uuid')
            ),
            None,
        )
        title = text_of(meta.get('title')) or next(
            (
                text_of(e.get('thread_title'))
                for e in thread['entries']
                if isinstance(e, dict) and e.get('thread_title')
            ),
            '',
        )
    else:
        for i, c in enumerate(thread.get('conversations') or []):
            if not isinstance(c, dict):
                continue
            rid = str(c.get('uuid') or i)
            sources = c.get('sources') if isinstance(c.get('sources'), list) else []
            rounds.append(
                (
                    rid,
                    from_iso(c.get('timestamp')),
                    text_of(c.get('query')),
                    text_of(c.get('answer')),
                    [],
                    sources,
                    text_of(c.get('model')) or None,
                    c,
                )
            )
        thread_id = text_of(meta.get('thread_id')) or None
        title = text_of(meta.get('thread_title'))
    if not rounds:
        raise ValueError('it holds no questions')
    thread_id = thread_id or text_of(meta.get('uuid')) or f'perplexity-{rounds[0][0]}'
    rounds.sort(key=lambda r: (r[1] is None, r[1] or 0))
    messages: list[ParsedMessage] = []
    parent = None
    for rid, when, query, answer, hidden, sources, model, raw in rounds:
        q = ParsedMessage(f'{rid}:q', parent, 'user', query, created_at=when)
        a = ParsedMessage(f'{rid}:a', q.external_id, 'assistant', model=model, created_at=when, raw=raw)
        text = '\n\n'.join(t for t in (answer, _sources(sources)) if t)
        chain = split_blocks(a, [*hidden, Block(text)])
        messages.extend([q, *chain])
        parent = chain[-1].external_id
    return ParsedConversation(
        external_id=str(thread_id),
        title=title,
        messages=messages,
        created_at=from_iso(meta.get('created_at')),
        active_leaf=parent,
        raw={'metadata': meta},
    )


def items(doc: JsonDoc, report: ImportReport):
    for thread in iter_items(doc):
        yield f'thread {doc.name}', partial(convert, thread, report)
