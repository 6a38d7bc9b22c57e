"""Claude.ai data export: conversations (bulk and per-conversation shapes) and projects."""

from __future__ import annotations

import re
from typing import Any

from .base import (
    Block,
    ImportReport,
    ParsedConversation,
    ParsedMessage,
    from_iso,
    json_text,
    split_blocks,
    text_of,
)

ROOT_PARENT = '00000000-0000-4000-8000-000000000000'

_ARTIFACT = re.compile(r'<antArtifact\b([^>]*)>(.*?)</antArtifact>', re.DOTALL)
_THINKING = re.compile(r'<antThinking>(.*?)</antThinking>', re.DOTALL)
_ATTR = re.compile(r'(\w+)="([^"]*)"')

_LANG_BY_TYPE = {
    'application/vnd.ant.react': 'jsx',
    'text/html': 'html',
    'image/svg+xml': 'svg',
    'application/vnd.ant.mermaid': 'mermaid',
    'text/markdown': 'markdown',
}


def _artifact_md(title: str, kind: str, language: str, body: str) -> str:
    lang = language or _LANG_BY_TYPE.get(kind, '')
    head = f'**{title}**\n\n' if title else ''
    return f'{head}```{lang}\n{body.strip(chr(10))}\n```'


def _legacy_text(text: str) -> tuple[str, list[str]]:
    """Readable text from a legacy message: artifacts become fenced blocks; <antThinking> is pulled out."""
    thoughts = [t.strip() for t in _THINKING.findall(text)]
    text = _THINKING.sub('', text)

    def artifact(m: re.Match) -> str:
        attrs = dict(_ATTR.findall(m.group(1)))
        return _artifact_md(
            attrs.get('title', ''), attrs.get('type', ''), attrs.get('language', ''), m.group(2)
        )

    text = _ARTIFACT.sub(artifact, text)
    return re.sub(r'\n{3,}', '\n\n', text).strip(), thoughts


def _blocks_from_content(content: list, created, report: ImportReport) -> list[Block]:
    blocks: list[Block] = []
    for block in content:
        if not isinstance(block, dict):
            continue
        btype = block.get('type')
        when = from_iso(block.get('start_timestamp')) or created
        if btype == 'text':
            text, thoughts = _legacy_text(text_of(block.get('text')))
            blocks.extend(Block(t, True, 'thinking', created_at=when) for t in thoughts if t)
            blocks.append(Block(text, created_at=when))
        elif btype == 'thinking':
            blocks.append(Block(text_of(block.get('thinking')), True, 'thinking', created_at=when))
        elif btype == 'tool_use':
            name = text_of(block.get('name')) or 'tool'
            inp = block.get('input') if isinstance(block.get('input'), dict) else {}
            if name == 'artifacts' and text_of(inp.get('content')):
                body = _artifact_md(
                    text_of(inp.get('title')),
                    text_of(inp.get('type')),
                    text_of(inp.get('language')),
                    inp['content'],
                )
                blocks.append(Block(body, content_type='artifact', created_at=when))
            else:
                blocks.append(
                    Block(f'{name}\n{json_text(inp)}'.strip(), True, 'tool_use', name, created_at=when)
                )
        elif btype == 'tool_result':
            parts = block.get('content')
            texts = []
            for part in parts if isinstance(parts, list) else [parts]:
                if isinstance(part, dict):
                    texts.append(
                        text_of(part.get('text')) or json_text({k: v for k, v in part.items() if k != 'type'})
                    )
                elif isinstance(part, str):
                    texts.append(part)
            name = text_of(block.get('name')) or None
            blocks.append(Block('\n\n'.join(t for t in texts if t), True, 'tool_result', name, 'tool', when))
        elif btype == 'voice_note':
            blocks.append(
                Block('\n\n'.join(t for t in (text_of(block.get('title')), text_of(block.get('text'))) if t))
            )
        else:
            report.unknown(f'claude {btype or "?"}')
            text = text_of(block.get('text')) or json_text(block)
            blocks.append(Block(text, True, str(btype or 'unknown'), created_at=when))
    return blocks


def convert_message(
    msg: dict, order: int, conv_model: str | None, report: ImportReport
) -> list[ParsedMessage]:
    uuid = msg.get('uuid')
    if not uuid:
        raise ValueError(f'message #{order} has no uuid')
    sender = msg.get('sender')
    role = 'user' if sender == 'human' else 'assistant' if sender == 'assistant' else 'tool'
    created = from_iso(msg.get('created_at'))
    content = msg.get('content')
    if isinstance(content, list) and any(isinstance(b, dict) for b in content):
        blocks = _blocks_from_content(content, created, report)
        if not any(b.text for b in blocks) and text_of(msg.get('text')):  # blanked content[], text kept
            blocks = []
    else:
        blocks = []
    if not blocks:
        text, thoughts = _legacy_text(text_of(msg.get('text')))
        blocks = [Block(t, True, 'thinking', created_at=created) for t in thoughts if t]
        blocks.append(Block(text, created_at=created))
    # Pasted and uploaded documents: their extracted text is often the most valuable part.
    placeholders = []
    attachments = msg.get('attachments') if isinstance(msg.get('attachments'), list) else []
    for att in attachments:
        if not isinstance(att, dict):
            continue
        name = text_of(att.get('file_name')) or 'attachment'
        placeholders.append(f'[Attachment: {name}]')
        extracted = text_of(att.get('extracted_content'))
        if extracted:
            # its own message, visible and searchable (a page can show it folded, like Claude does)
            blocks.insert(
                0,
                Block(f'{name}\n\n{extracted}', False, 'attachment', name, created_at=created, separate=True),
            )
    files = msg.get('files') if isinstance(msg.get('files'), list) else []
    for f in files or (msg.get('files_v2') if isinstance(msg.get('files_v2'), list) else []):
        if isinstance(f, dict):
            kind = 'Image' if f.get('file_kind') == 'image' else 'File'
            placeholders.append(f'[{kind}: {text_of(f.get("file_name")) or "file"}]')
    if placeholders:
        blocks.append(Block('\n'.join(placeholders), created_at=created))
    stop = msg.get('stop_reason')
    status = 'incomplete' if msg.get('truncated') or stop in ('max_tokens', 'user_canceled') else 'complete'
    parent = msg.get('parent_message_uuid')
    base = ParsedMessage(
        external_id=str(uuid),
        parent_id=None if not parent or parent == ROOT_PARENT else str(parent),
        role=role,
        model=conv_model if role == 'assistant' else None,
        created_at=created,
        updated_at=from_iso(msg.get('updated_at')),
        status=status,
        finish_reason=text_of(stop) or None,
        raw=msg,
    )
    return split_blocks(base, blocks)


def convert(conv: dict[str, Any], report: ImportReport) -> ParsedConversation:
    """A Claude conversation → a parsed tree. Without ``parent_message_uuid`` it is one chain in time order."""
    if not isinstance(conv, dict):
        raise ValueError('a conversation is not a JSON object')
    conv_id = conv.get('uuid')
    if not conv_id:
        raise ValueError('a conversation has no uuid')
    raw_messages = conv.get('chat_messages')
    if raw_messages is None:
        raw_messages = []
    if not isinstance(raw_messages, list):
        raise ValueError('its "chat_messages" is not a list')
    model = text_of(conv.get('model')) or None
    has_tree = any(isinstance(m, dict) and m.get('parent_message_uuid') for m in raw_messages)
    entries = [(i, m) for i, m in enumerate(raw_messages) if isinstance(m, dict)]
    if not has_tree:
        # Exports are not always chronological: order by time, then index, asking before answering.
        def key(entry):
            i, m = entry
            created = from_iso(m.get('created_at'))
            index = m.get('index') if isinstance(m.get('index'), int) else i
            return (created is None, created or 0, index, 0 if m.get('sender') == 'human' else 1, i)

        entries.sort(key=key)
    messages: list[ParsedMessage] = []
    previous: str | None = None
    for i, m in entries:
        if not has_tree:
            m = {**m, 'parent_message_uuid': previous}
        chain = convert_message(m, i, model, report)
        if not has_tree:
            chain[-1].raw = raw_messages[i]  # keep the source exactly, not our patched copy
        messages.extend(chain)
        previous = str(m.get('uuid'))
    leaf = conv.get('current_leaf_message_uuid')
    if not leaf and not has_tree and messages:
        leaf = messages[-1].external_id
    proj = conv.get('project')
    project = conv.get('project_uuid') or (proj.get('uuid') if isinstance(proj, dict) else None)
    raw = {k: v for k, v in conv.items() if k != 'chat_messages'}
    return ParsedConversation(
        external_id=str(conv_id),
        title=text_of(conv.get('name')),
        messages=messages,
        created_at=from_iso(conv.get('created_at')),
        updated_at=from_iso(conv.get('updated_at')),
        active_leaf=str(leaf) if leaf else None,
        model=model,
        summary=text_of(conv.get('summary')) or None,
        favourite=bool(conv.get('is_starred')),
        raw=raw,
        collection_external_id=str(project) if project else None,
    )


def label(conv: Any) -> str:
    if isinstance(conv, dict):
        return f'conversation {conv.get("name") or ""!s:.60} ({conv.get("uuid") or "no uuid"})'
    return 'conversation (not an object)'


def project_sections(project: dict[str, Any]) -> list[tuple[str, str]]:
    """A project's documents as Markdown sections, each under its file name: (heading, section)."""
    out = []
    for doc in project.get('docs') or []:
        if isinstance(doc, dict):
            heading = '## ' + (' '.join(text_of(doc.get('filename')).split()) or 'document')
            out.append((heading, f'{heading}\n\n{text_of(doc.get("content")).strip()}'))
    return out


def project_notes(project: dict[str, Any]) -> str:
    return '\n\n'.join(section for _, section in project_sections(project))


PROJECT_VERSION_NOTE = 'Imported from a Claude project'


def save_project(project: Any, writer) -> None:
    """A project becomes an Agent (its instructions as the system prompt, a new version when they change)
    and a Collection holding its documents as notes. The user's edits to either are kept."""
    from peewee import fn

    from ..db import write_tx
    from ..models import Agent, AgentVersion, Collection, CollectionAgent, utcnow

    if not isinstance(project, dict) or not project.get('uuid'):
        raise ValueError('a project has no uuid')
    report, source_id = writer.report, writer.source_id
    ext = str(project['uuid'])
    name = ' '.join(text_of(project.get('name')).split())[:200] or 'Claude project'
    created = from_iso(project.get('created_at')) or utcnow()
    updated = from_iso(project.get('updated_at')) or created
    prompt = text_of(project.get('prompt_template'))
    notes = project_notes(project)
    description = text_of(project.get('description')) or None
    agent = None
    collection = None
    if source_id is not None:
        agent = Agent.get_or_none((Agent.source == source_id) & (Agent.external_id == ext))
        collection = Collection.get_or_none(
            (Collection.source == source_id) & (Collection.external_id == ext)
        )
    if writer.dry_run:
        report.agents_added += agent is None
        report.agent_versions_added += agent is None
        report.collections_added += collection is None
        return
    with write_tx():
        if agent is None:
            agent = Agent.create(
                name=name,
                description=description,
                source=source_id,
                external_id=ext,
                created_at=created,
                updated_at=updated,
            )
            version = AgentVersion.create(
                agent=agent, number=1, system_prompt=prompt, note=PROJECT_VERSION_NOTE, created_at=created
            )
            Agent.update(current_version=version.id).where(Agent.id == agent.id).execute()
            report.agents_added += 1
            report.agent_versions_added += 1
        else:
            known = {
                v.system_prompt
                for v in AgentVersion.select(AgentVersion.system_prompt).where(AgentVersion.agent == agent.id)
            }
            if prompt not in known:
                number = (
                    AgentVersion.select(fn.MAX(AgentVersion.number))
                    .where(AgentVersion.agent == agent.id)
                    .scalar()
                    or 0
                ) + 1
                version = AgentVersion.create(
                    agent=agent,
                    number=number,
                    system_prompt=prompt,
                    note=PROJECT_VERSION_NOTE,
                    created_at=updated,
                )
                report.agent_versions_added += 1
                current = AgentVersion.get_or_none(AgentVersion.id == agent.current_version_id)
                # follow the project only while the user has not made a version of their own
                if current is None or current.note == PROJECT_VERSION_NOTE:
                    Agent.update(current_version=version.id).where(Agent.id == agent.id).execute()
        if collection is None:
            coll_name = name
            n = 2
            while Collection.select().where(Collection.name == coll_name).exists():
                coll_name = f'{name} (Claude {n})' if n > 2 else f'{name} (Claude)'
                n += 1
            collection = Collection.create(
                name=coll_name,
                description=description,
                notes=notes or None,
                source=source_id,
                external_id=ext,
                created_at=created,
                updated_at=updated,
            )
            report.collections_added += 1
        elif notes:
            # add documents the project gained; never rewrite notes the user may have edited
            have = collection.notes or ''
            lines = set(have.splitlines())
            extra = [section for heading, section in project_sections(project) if heading not in lines]
            if extra:
                Collection.update(notes='\n\n'.join([have, *extra]).strip(), updated_at=utcnow()).where(
                    Collection.id == collection.id
                ).execute()
        CollectionAgent.insert(collection=collection.id, agent=agent.id).on_conflict_ignore().execute()
    writer._collections[ext] = collection.id
