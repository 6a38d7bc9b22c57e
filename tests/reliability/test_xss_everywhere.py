"""Hostile text everywhere the app shows user or LLM text, rendered in Chromium: titles, tag, collection
and category names, conversation messages (visible and hidden), prompt bodies and variable defaults,
agent names and system prompts, search snippets, the chat page, the trash, the retention preview, home,
graph and dashboard. Nothing may execute, open a dialog or fetch from another host.

tests/e2e/test_capture_flow.py covers an output body; this reuses its payloads for everything else.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from app.data import agents, conversations, entities, lookups, outputs, prompts, relations
from app.data import db as dbmod
from app.data.models import Output, RetentionPlan, utcnow
from tests.e2e.test_capture_flow import XSS_PAYLOADS

WORD = 'xsscorpus'  # in every hostile text, so one search finds them all
TITLES = [p for p in XSS_PAYLOADS if len(p) < 200 and '\n' not in p]


def _library(db: Path) -> dict[str, int]:
    dbmod.connect(db)
    ids: dict[str, int] = {}
    tags = [f'{WORD} {p}' for p in TITLES[:6]]
    collection = lookups.get_or_create('collection', f'{WORD} {TITLES[1]}')
    for i, title in enumerate(TITLES):
        o = outputs.capture_output(
            outputs.CaptureData(
                body=f'{WORD} body {i}\n\n{title}',
                title=f'{title} {WORD}',
                tags=tags[i % 3 : i % 3 + 3],
                collections=[collection.id],
                category=f'{WORD} {TITLES[2]}',
                favourite=i % 2 == 0,
                notes=title,
                model=f'{WORD}-{i}',
            )
        )
        ids.setdefault('output', o.id)
    a, b = ids['output'], ids['output'] + 1
    relations.link_outputs(a, b)
    entities.mark_viewed('output', a)

    conv = conversations.create_conversation(f'{TITLES[0]} {WORD}')
    parent = None
    for i, payload in enumerate(XSS_PAYLOADS):
        parent = conversations.add_message(
            conv,
            'user' if i % 2 == 0 else 'assistant',
            f'{WORD} {payload}',
            parent=parent,
            hidden=(i % 5 == 4),
        )
    relations.add_tags('conversation', [conv.id], [lookups.get_or_create('tag', tags[0]).id])
    ids['conversation'] = conv.id

    p = prompts.create_prompt(
        f'{TITLES[3]} {WORD}',
        f'{WORD} {XSS_PAYLOADS[1]}\n\nHello {{{{name|<img src=x onerror="window.__xss=99">}}}}',
    )
    ids['prompt'] = p.id
    ag = agents.create_agent(f'{TITLES[4]} {WORD}', f'{WORD} {XSS_PAYLOADS[2]}', description=TITLES[5])
    ids['agent'] = ag.id

    # one in the trash, one the retention preview will list
    trashed = outputs.capture_output(outputs.CaptureData(body=f'{WORD} trash', title=f'{TITLES[6]} {WORD}'))
    entities.trash('output', [trashed.id])
    expired = outputs.capture_output(outputs.CaptureData(body=f'{WORD} expired', title=f'{TITLES[7]} {WORD}'))
    Output.update(
        retention=RetentionPlan.get(RetentionPlan.name == '30 days').id,
        updated_at=utcnow() - timedelta(days=40),
    ).where(Output.id == expired.id).execute()
    ids['tag'] = lookups.get_or_create('tag', tags[0]).id
    ids['collection'] = collection.id
    dbmod.close()
    return ids


def _settle(page, text: str | None) -> None:
    page.wait_for_selector('.nicegui-content', state='attached', timeout=60_000)
    if text:
        page.get_by_text(text, exact=False).first.wait_for(state='attached', timeout=60_000)
    page.wait_for_timeout(700)  # let late renders (charts, markdown, timers) happen


def test_hostile_text_executes_nothing_anywhere(start_app, page, tmp_path: Path, figure) -> None:
    db = tmp_path / 'xss.db'
    ids = _library(db)
    app = start_app(db_path=db, env={'OUTPUTHUB_AUTO_BACKUP': '0', 'OUTPUTHUB_HOUSEKEEPING': '0'})
    pages = [
        ('/', WORD),
        ('/outputs', WORD),
        (f'/outputs/{ids["output"]}', WORD),
        ('/conversations', WORD),
        (f'/conversations/{ids["conversation"]}', WORD),
        (f'/chat/{ids["conversation"]}', WORD),
        ('/prompts', WORD),
        (f'/prompts/{ids["prompt"]}', WORD),
        ('/agents', WORD),
        (f'/agents/{ids["agent"]}', WORD),
        ('/tags', WORD),
        (f'/tags/{ids["tag"]}', WORD),
        (f'/collections/{ids["collection"]}', WORD),
        ('/categories', WORD),
        (f'/search?q={WORD}&mode=keyword', 'results, best first'),
        ('/trash', WORD),
        ('/graph', None),
        ('/dashboard', None),
        ('/lookups?tab=model', WORD),
    ]
    seen = []
    started = time.monotonic()
    for path, text in pages:
        page.goto(app.url + path)
        _settle(page, text)
        seen.append(path)
        assert page.evaluate('window.__xss') is None, f'a payload ran on {path}'
    # the retention preview lists the expired hostile title
    page.goto(app.url + '/settings?tab=retention')
    page.get_by_role('button', name='Preview').click()
    _settle(page, WORD)
    seen.append('/settings?tab=retention (preview)')
    # hostile titles are shown as text, not dropped or turned into markup
    page.goto(app.url + '/outputs')
    _settle(page, WORD)
    assert page.get_by_text('<img src=x onerror', exact=False).count() >= 1

    assert page.evaluate('window.__xss') is None
    assert page.recorder.dialogs == []
    assert not page.recorder.remote_requests, page.recorder.remote_requests[:5]
    figure(
        f'XSS: {len(XSS_PAYLOADS)} payloads in titles, tags, collections, categories, models, messages, '
        f'prompts, agents, notes on {len(seen)} pages (search snippets, chat, trash, retention preview, graph, '
        f'dashboard included): 0 executed, 0 dialogs, 0 remote requests ({time.monotonic() - started:.0f} s)'
    )
