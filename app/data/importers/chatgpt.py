"""ChatGPT data export: conversation trees (``mapping``) with branches, tool traffic, thoughts and citations."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from .base import ImportReport, ParsedConversation, ParsedMessage, from_epoch

ROLES = {'system', 'user', 'assistant', 'tool'}

# Content that is tool traffic or reasoning: stored and searchable, hidden from the reading view.
HIDDEN_TYPES = {
    'code',
    'execution_output',
    'tether_browsing_display',
    'tether_quote',
    'sonic_webpage',
    'system_error',
    'computer_output',
    'thoughts',
    'reasoning_recap',
    'user_editable_context',
    'model_editable_context',
}
KNOWN_TYPES = HIDDEN_TYPES | {'text', 'multimodal_text'}

_OLD_CITATION = re.compile(r'【\d+(?::\d+)?†[^】]*】')
_PUA_SPAN = re.compile(r'\ue200[^\ue201]*\ue201')
_PUA_MARKS = re.compile(r'[\ue202-\ue206]')
_PUA_ANY = re.compile(r'[\ue200-\ue206]')


def _link(title: str | None, url: str | None) -> str:
    if not url:
        return ''
    label = (title or '').strip() or (urlparse(url).netloc.removeprefix('www.') or url)
    label = label.replace('[', '(').replace(']', ')')
    return f'[{label}]({url})'


def clean_citations(text: str, metadata: dict[str, Any]) -> str:
    """Readable text: citation markers become short links where the message says where they point."""
    if not text or not isinstance(metadata, dict):
        return text
    if '\u3010' not in text and not _PUA_ANY.search(text):
        return text  # no marker at all (most messages): skip the work
    refs = metadata.get('content_references') or []
    for ref in refs if isinstance(refs, list) else []:
        if not isinstance(ref, dict):
            continue
        marker = ref.get('matched_text')
        if not marker or not isinstance(marker, str) or marker not in text:
            continue
        items = [i for i in ref.get('items') or [] if isinstance(i, dict)]
        links = [_link(None, i.get('url')) for i in items if i.get('url')]
        if links:
            replacement = ' (' + ', '.join(dict.fromkeys(links)) + ')'
        elif ref.get('type') in ('sources_footnote', 'hidden', 'attribution'):
            replacement = ''
        else:
            alt = ref.get('alt')
            replacement = alt if isinstance(alt, str) else ''
        text = text.replace(marker, replacement)
    cites = metadata.get('citations') or []
    original = text
    for cite in cites if isinstance(cites, list) else []:
        if not isinstance(cite, dict):
            continue
        meta = cite.get('metadata') or {}
        start, end = cite.get('start_ix'), cite.get('end_ix')
        if not isinstance(start, int) or not isinstance(end, int) or not isinstance(meta, dict):
            continue
        marker = original[start:end]
        if marker and _OLD_CITATION.fullmatch(marker) and meta.get('url'):
            text = text.replace(marker, ' (' + _link(None, meta.get('url')) + ')', 1)
    text = _OLD_CITATION.sub('', text)
    text = _PUA_SPAN.sub('', text)
    return _PUA_MARKS.sub('', text)


def _epoch(value: Any) -> datetime | None:
    """A ChatGPT time: epoch seconds, where 0 (the sharded 2026 export writes it on some nodes) means
    unknown like null, not 1970."""
    when = from_epoch(value)
    return None if when is None or when.year < 1980 else when


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ''


def _part_text(
    part: Any, attachments: dict[str, str], report: ImportReport, assets: dict[str, str] | None = None
) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return ''
    ptype = part.get('content_type') or ''
    if ptype == 'image_asset_pointer':
        meta = part.get('metadata') or {}
        dalle = meta.get('dalle') if isinstance(meta, dict) else None
        pointer = _string(part.get('asset_pointer'))
        asset = pointer.split('://', 1)[-1]
        name = attachments.get(asset) or (assets or {}).get(asset) or asset or 'image'
        size = ''
        if part.get('width') and part.get('height'):
            size = f' ({part["width"]}×{part["height"]})'
        if isinstance(dalle, dict) and dalle.get('prompt'):
            return f'[Generated image{size}: {dalle["prompt"]}]'
        return f'[Image: {name}{size}]'
    if ptype == 'audio_transcription':
        return _string(part.get('text'))
    if ptype in ('audio_asset_pointer', 'real_time_user_audio_video_asset_pointer'):
        return '[Audio recording]' if ptype == 'audio_asset_pointer' else '[Audio/video recording]'
    if isinstance(part.get('text'), str):
        return part['text']
    report.unknown(f'chatgpt part {ptype or "?"}')
    return f'[{ptype or "attachment"}]'


def render_content(
    content: dict[str, Any],
    metadata: dict[str, Any],
    report: ImportReport,
    assets: dict[str, str] | None = None,
) -> tuple[str, str]:
    """(readable text, content type) for every content type the export uses; unknown ones keep any text."""
    ctype = content.get('content_type') or 'text'
    attachments = {}
    for att in metadata.get('attachments') or []:
        if isinstance(att, dict) and att.get('id'):
            attachments[str(att['id'])] = str(att.get('name') or att['id'])
    if ctype in ('text', 'multimodal_text'):
        parts = content.get('parts') or []
        texts = [_part_text(p, attachments, report, assets) for p in parts] if isinstance(parts, list) else []
        text = '\n'.join(t for t in texts if t)
    elif ctype == 'code':
        text = _string(content.get('text'))
        lang = _string(content.get('language'))
        if lang and lang != 'unknown' and text:
            text = f'```{lang}\n{text}\n```'
    elif ctype == 'execution_output':
        text = _string(content.get('text'))
    elif ctype == 'tether_browsing_display':
        text = '\n\n'.join(t for t in (_string(content.get('result')), _string(content.get('summary'))) if t)
    elif ctype in ('tether_quote', 'sonic_webpage'):
        head = '\n'.join(t for t in (_string(content.get('title')), _string(content.get('url'))) if t)
        text = '\n\n'.join(t for t in (head, _string(content.get('text'))) if t)
    elif ctype == 'system_error':
        text = ': '.join(t for t in (_string(content.get('name')), _string(content.get('text'))) if t)
    elif ctype == 'thoughts':
        chunks = []
        for th in content.get('thoughts') or []:
            if isinstance(th, dict):
                summary, body = _string(th.get('summary')), _string(th.get('content'))
                chunks.append('\n\n'.join(t for t in (f'**{summary}**' if summary else '', body) if t))
        text = '\n\n'.join(c for c in chunks if c)
    elif ctype == 'reasoning_recap':
        text = _string(content.get('content'))
    elif ctype == 'user_editable_context':
        profile, instructions = (
            _string(content.get('user_profile')),
            _string(content.get('user_instructions')),
        )
        text = '\n\n'.join(
            t for t in ('Custom instructions', profile and f'About me:\n{profile}', instructions) if t
        )
    elif ctype == 'model_editable_context':
        text = _string(content.get('model_set_context'))
    elif ctype == 'computer_output':
        text = '[Computer screenshot]'
    else:
        report.unknown(f'chatgpt {ctype}')
        pieces = [content.get(k) for k in ('text', 'result', 'content')]
        parts = content.get('parts')
        if isinstance(parts, list):
            pieces.extend(p for p in parts if isinstance(p, str))
        text = '\n\n'.join(p for p in pieces if isinstance(p, str) and p)
    if attachments and ctype in ('text', 'multimodal_text'):
        mentioned = [n for n in attachments.values() if n not in text]
        text = '\n'.join([text, *(f'[Attachment: {n}]' for n in mentioned)]).strip('\n')
    return text, ctype


def _status(message: dict[str, Any], metadata: dict[str, Any]) -> tuple[str, str | None]:
    finish = metadata.get('finish_details')
    reason = finish.get('type') if isinstance(finish, dict) and isinstance(finish.get('type'), str) else None
    status = message.get('status') if isinstance(message.get('status'), str) else ''
    status = status or 'finished_successfully'
    if 'error' in status or 'fail' in status:
        return 'error', reason or status
    if status in ('in_progress', 'finished_partial_completion') or reason in ('interrupted', 'max_tokens'):
        return 'incomplete', reason or status
    return 'complete', reason


def convert_message(
    node_id: str,
    parent: str | None,
    message: dict,
    default_model: str | None,
    report,
    assets: dict[str, str] | None = None,
) -> ParsedMessage:
    author = message.get('author') or {}
    if not isinstance(author, dict):
        author = {}
    role = author.get('role') if isinstance(author.get('role'), str) else ''
    role = role or 'tool'
    author_name = author.get('name') if isinstance(author.get('name'), str) else None
    if role not in ROLES:  # e.g. "critic": keep who it was, show it as tool traffic
        author_name, role = author_name or role, 'tool'
    content = message.get('content') or {}
    if not isinstance(content, dict):
        raise ValueError(f'message {node_id} has content of type {type(content).__name__}')
    metadata = message.get('metadata') or {}
    if not isinstance(metadata, dict):
        metadata = {}
    text, ctype = render_content(content, metadata, report, assets)
    recipient = message.get('recipient') or 'all'
    weight = message.get('weight')
    hidden = bool(
        role in ('system', 'tool')
        or metadata.get('is_visually_hidden_from_conversation')
        or recipient != 'all'
        or ctype in HIDDEN_TYPES
        or ctype not in KNOWN_TYPES
        or (isinstance(weight, int | float) and weight == 0)
    )
    if role == 'assistant' and not hidden:
        text = clean_citations(text, metadata)
    status, finish_reason = _status(message, metadata)
    model = None
    if role in ('assistant', 'tool'):
        model = metadata.get('model_slug') or default_model
    return ParsedMessage(
        external_id=str(message.get('id') or node_id),
        parent_id=parent,
        role=role,
        content=text,
        content_type=ctype,
        author_name=author_name,
        hidden=hidden,
        status=status,
        model=model if isinstance(model, str) else None,
        created_at=_epoch(message.get('create_time')),
        updated_at=_epoch(message.get('update_time')),
        finish_reason=finish_reason,
        raw=message,
    )


def convert(
    conv: dict[str, Any], report: ImportReport, assets: dict[str, str] | None = None
) -> ParsedConversation:
    """One conversation object of ``conversations.json`` → a parsed tree (every branch kept). ``assets``: the
    original names of uploaded files by id (``asset_names``)."""
    if not isinstance(conv, dict):
        raise ValueError('a conversation is not a JSON object')
    conv_id = conv.get('conversation_id') or conv.get('id')
    if not conv_id:
        raise ValueError('a conversation has no id')
    mapping = conv.get('mapping')
    if not isinstance(mapping, dict):
        raise ValueError('its "mapping" is missing or not an object')
    default_model = (
        conv.get('default_model_slug') if isinstance(conv.get('default_model_slug'), str) else None
    )

    # Nodes without a message (the root, sometimes others) vanish; their children hang on the nearest
    # ancestor that has one. Message ids can differ from node ids: map node -> message id.
    msg_id_of: dict[str, str | None] = {}
    for node_id, node in mapping.items():
        msg = node.get('message') if isinstance(node, dict) else None
        msg_id_of[node_id] = str(msg.get('id') or node_id) if isinstance(msg, dict) else None

    # Each node without a message is resolved once (linear): walking every message's ancestors anew was
    # quadratic — 8k messages under one long chain of empty nodes took 20 s.
    resolved: dict[str, str | None] = {}

    def nearest(node_id: str | None) -> str | None:
        path: list[str] = []
        on_path: set[str] = set()
        found = None
        while isinstance(node_id, str):  # a parent of another type (a list, a number) is no parent
            if node_id in resolved:
                found = resolved[node_id]
                break
            if node_id in on_path or node_id not in mapping:  # a cycle, or a parent the export lacks
                break
            if msg_id_of.get(node_id):
                found = msg_id_of[node_id]
                break
            path.append(node_id)
            on_path.add(node_id)
            node = mapping[node_id]
            node_id = node.get('parent') if isinstance(node, dict) else None
        for n in path:
            resolved[n] = found
        return found

    messages = []
    for node_id, node in mapping.items():
        if not isinstance(node, dict) or not isinstance(node.get('message'), dict):
            continue
        # The tree is read from ``parent`` alone (the sharded 2026 export has no ``children``); a node that
        # lacks it may still name its parent in the message's metadata.
        up = node.get('parent') if 'parent' in node else _parent_from_metadata(node['message'])
        parent = nearest(up)
        messages.append(convert_message(str(node_id), parent, node['message'], default_model, report, assets))

    leaf = nearest(conv.get('current_node')) if isinstance(conv.get('current_node'), str) else None
    raw = {k: v for k, v in conv.items() if k != 'mapping'}
    return ParsedConversation(
        external_id=str(conv_id),
        title=conv.get('title') or '',
        messages=messages,
        created_at=_epoch(conv.get('create_time')),
        updated_at=_epoch(conv.get('update_time')),
        active_leaf=leaf,
        model=default_model,
        favourite=bool(conv.get('is_starred')),
        raw=raw,
    )


def _parent_from_metadata(message: dict[str, Any]) -> str | None:
    meta = message.get('metadata')
    parent = meta.get('parent_id') if isinstance(meta, dict) else None
    return parent if isinstance(parent, str) else None


def label(conv: Any) -> str:
    if isinstance(conv, dict):
        return f'conversation {conv.get("title") or ""!s:.60} ({conv.get("id") or conv.get("conversation_id") or "no id"})'
    return 'conversation (not an object)'


ASSET_NAMES = 'conversation_asset_file_names.json'
ASSET_NAMES_MAX = 32 * 1024**2
_ASSET_ID = re.compile(r'^(file[-_][0-9A-Za-z]+)')


def asset_names(inp: Any) -> dict[str, str]:
    """The original names of the files people sent, by file id (``file_<hex>``, ``file-<id>``), from the
    2026 export's ``conversation_asset_file_names.json`` (``{"file_….dat": "Screenshot ….png"}``) beside
    the conversations; {} when the export has none or it cannot be read (names are a nicety)."""
    import json
    import zipfile
    from pathlib import PurePosixPath

    data = None
    try:
        if inp.container == 'zip' and inp._zip is not None:
            infos = [i for i in inp._zip.infolist() if PurePosixPath(i.filename).name == ASSET_NAMES]
            info = min(infos, key=lambda i: i.filename.count('/'), default=None)
            if info is not None and info.file_size <= ASSET_NAMES_MAX:
                data = inp._zip.read(info)
        elif inp.container == 'folder':
            f = inp.path / ASSET_NAMES
            if f.is_file() and not f.is_symlink() and f.stat().st_size <= ASSET_NAMES_MAX:
                data = f.read_bytes()
        names = json.loads(data) if data else {}
    except (OSError, ValueError, RecursionError, zipfile.BadZipFile):
        return {}
    out: dict[str, str] = {}
    for key, name in names.items() if isinstance(names, dict) else []:
        m = _ASSET_ID.match(PurePosixPath(str(key)).name)
        if m and isinstance(name, str) and name.strip():
            out.setdefault(m.group(1), PurePosixPath(name.strip()).name[:200])
    return out


MANIFEST = 'export_manifest.json'
MANIFEST_MAX = 16 * 1024**2
_SHARD = re.compile(r'^conversations-(\d+)\.json$', re.IGNORECASE)


def _manifest_shards(data: Any) -> list[str]:
    """The conversation shards ``export_manifest.json`` names (relative to it): the files of its logical
    ``conversations.json``, the shard-named ``export_files``, and up to ``shard_count`` numbered names."""
    if not isinstance(data, dict):
        return []
    names: list[str] = []
    logical = data.get('logical_files')
    conv = logical.get('conversations.json') if isinstance(logical, dict) else None
    if isinstance(conv, dict):
        names += [f for f in conv.get('files') or [] if isinstance(f, str)]
    for entry in data.get('export_files') or [] if isinstance(data.get('export_files'), list) else []:
        path = entry.get('path') if isinstance(entry, dict) else None
        if isinstance(path, str) and _SHARD.match(path.rsplit('/', 1)[-1]):
            names.append(path)
    count = conv.get('shard_count') if isinstance(conv, dict) else None
    if isinstance(count, int) and not isinstance(count, bool) and 0 < count <= 10_000:
        listed = {n.rsplit('/', 1)[-1].lower() for n in names}
        names += [
            f'conversations-{i:03d}.json' for i in range(count) if f'conversations-{i:03d}.json' not in listed
        ]
    return [n for n in dict.fromkeys(names) if _SHARD.match(n.rsplit('/', 1)[-1])]


def missing_shards(inp: Any) -> tuple[list[str], str]:
    """The conversation shards (``conversations-NNN.json``) a sharded export lacks, and what says they
    belong: ``export_manifest.json`` beside the shards when there is one, else a gap in the numbering
    (000, 001, 003: 002 is missing). ([], '') for a whole export, a single file or an unsharded one."""
    import json
    import zipfile
    from pathlib import PurePosixPath

    if inp.container not in ('zip', 'folder'):
        return [], ''
    shards = [PurePosixPath(d.name) for d in inp.docs if _SHARD.match(PurePosixPath(d.name).name)]
    if not shards:
        return [], ''
    folder = min((s.parent for s in shards), key=lambda p: len(p.parts))
    present = {s.name.lower() for s in shards if s.parent == folder}
    manifest = folder / MANIFEST
    data = None
    try:
        if inp.container == 'zip' and inp._zip is not None:
            info = next((i for i in inp._zip.infolist() if i.filename == manifest.as_posix()), None)
            if info is not None and info.file_size <= MANIFEST_MAX:
                data = json.loads(inp._zip.read(info))
        elif inp.container == 'folder':
            f = inp.path / manifest
            if f.is_file() and not f.is_symlink() and f.stat().st_size <= MANIFEST_MAX:
                data = json.loads(f.read_bytes())
    except (OSError, ValueError, RecursionError, zipfile.BadZipFile):
        data = None  # an unreadable manifest says nothing: the numbering still does
    listed = _manifest_shards(data)
    if listed:
        missing = [n for n in listed if PurePosixPath(n).name.lower() not in present]
        return missing, f'its {MANIFEST} lists {len(listed)} conversation files'
    numbers = sorted(int(m.group(1)) for n in present if (m := _SHARD.match(n)))
    width = max(3, *(len(_SHARD.match(n).group(1)) for n in present))
    # only a gap counts: where the numbering starts is not known without the manifest
    have = set(numbers)
    missing = [f'conversations-{i:0{width}d}.json' for i in range(numbers[0], numbers[-1]) if i not in have]
    return missing, f'the conversation files are numbered {numbers[0]:0{width}d} to {numbers[-1]:0{width}d}'


def check_shards(inp: Any) -> None:
    """Refuse (UserError, before anything is written) a sharded export that lacks some of its shards:
    importing the rest would silently leave those conversations out."""
    from ...errors import UserError

    missing, why = missing_shards(inp)
    if missing:
        names = ', '.join(missing[:5]) + (f' and {len(missing) - 5} more' if len(missing) > 5 else '')
        raise UserError(
            f'{inp.path.name} is missing {names} ({why}): add the missing '
            f'file{"s" if len(missing) > 1 else ""} or download the export again; nothing was imported.'
        )
