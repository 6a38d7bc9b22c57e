"""Google AI Studio chat files (one per prompt in Drive's "Google AI Studio" folder, often no extension):
``{runSettings{model, …}, systemInstruction{text?}, chunkedPrompt{chunks[], pendingInputs[]}}``.

A chunk is ``{role: user|model, text, parts[], isThought, tokenCount, createTime?, finishReason?}``; the
chunks are one linear chat. Thought chunks are hidden steps; the model is ``runSettings.model``. The file
holds no id: the conversation is known by its first exchange (so a re-import, or the same chat grown
longer, finds it again).
"""

from __future__ import annotations

import hashlib
from functools import partial
from typing import Any

from .base import ImportReport, ParsedConversation, ParsedMessage, as_int, from_epoch, from_iso, text_of
from .inputs import JsonDoc, iter_items

ATTACHMENTS = {
    'driveDocument': 'Drive document',
    'driveImage': 'Drive image',
    'driveVideo': 'Drive video',
    'driveAudio': 'Drive audio',
    'inlineImage': 'Image',
    'inlineFile': 'File',
    'youtubeVideo': 'YouTube video',
}


KNOWN_PART_KEYS = frozenset(('text', 'thought', 'thoughtSignature'))


def _count_unknown(chunk: dict[str, Any], report: ImportReport) -> None:
    """Parts this reader does not show (code execution, function calls, …) and roles it does not know are
    counted in the report: the chunk is kept (its raw record too), only that part is not in the text."""
    if chunk.get('role') not in ('user', 'model'):
        report.unknown(f'aistudio role {text_of(chunk.get("role")) or "?"}')
    for part in chunk.get('parts') if isinstance(chunk.get('parts'), list) else []:
        if isinstance(part, dict):
            for key in part.keys() - KNOWN_PART_KEYS:
                report.unknown(f'aistudio part {key}')


def _chunk_text(chunk: dict[str, Any]) -> str:
    text = text_of(chunk.get('text'))
    if not text and isinstance(chunk.get('parts'), list):
        text = ''.join(text_of(p.get('text')) for p in chunk['parts'] if isinstance(p, dict))
    marks = [f'[{label}]' for key, label in ATTACHMENTS.items() if chunk.get(key)]
    return '\n'.join(t for t in (text, *marks) if t)


def convert(
    doc_obj: Any, report: ImportReport, name: str = '', mtime: float | None = None
) -> ParsedConversation:
    if not isinstance(doc_obj, dict) or not isinstance(doc_obj.get('chunkedPrompt'), dict):
        raise ValueError('it has no "chunkedPrompt"')
    settings = doc_obj.get('runSettings') if isinstance(doc_obj.get('runSettings'), dict) else {}
    model = text_of(settings.get('model')).removeprefix('models/') or None
    chunks = [c for c in doc_obj['chunkedPrompt'].get('chunks') or [] if isinstance(c, dict)]
    system = doc_obj.get('systemInstruction') if isinstance(doc_obj.get('systemInstruction'), dict) else {}
    seed = '\x00'.join([text_of(system.get('text')), *(_chunk_text(c) for c in chunks[:2])])
    conv_id = 'aistudio-' + hashlib.sha256(seed.encode('utf-8', 'replace')).hexdigest()[:24]
    messages: list[ParsedMessage] = []
    parent = None
    if text_of(system.get('text')):
        messages.append(
            ParsedMessage('system', None, 'system', system['text'], hidden=True, content_type='instructions')
        )
        parent = 'system'
    for i, c in enumerate(chunks):
        _count_unknown(c, report)
        is_model = c.get('role') == 'model'
        thought = bool(c.get('isThought')) or any(
            isinstance(p, dict) and p.get('thought') for p in c.get('parts') or []
        )
        msg = ParsedMessage(
            external_id=str(i),
            parent_id=parent,
            role='assistant' if is_model else 'user',
            content=_chunk_text(c),
            content_type='thinking' if thought else 'text',
            hidden=thought,
            model=model if is_model else None,
            created_at=from_iso(c.get('createTime')),
            output_tokens=as_int(c.get('tokenCount')) if is_model else None,
            finish_reason=text_of(c.get('finishReason')) or None,
            status='error' if c.get('errorMessage') else 'complete',
            raw=c,
        )
        messages.append(msg)
        parent = msg.external_id
    title = name.rsplit('/', 1)[-1].removesuffix('.json') if name else ''
    if mtime is not None and not any(m.created_at for m in messages):
        for m in messages:  # no time in the file: the file's own date (Drive's modifiedTime)
            m.created_at = from_epoch(mtime)
    return ParsedConversation(
        external_id=conv_id,
        title='' if title.lower() in ('', 'untitled prompt') else title,
        messages=messages,
        active_leaf=parent,
        model=model,
        raw={k: v for k, v in doc_obj.items() if k != 'chunkedPrompt'},
    )


def items(doc: JsonDoc, report: ImportReport):
    for obj in iter_items(doc):
        yield f'AI Studio chat {doc.name}', partial(convert, obj, report, doc.name, doc.mtime)
