"""Importing real ChatGPT / Claude exports, llm logs: trees, active paths, hidden traffic, idempotency."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path

import pytest

from app.data import relations
from app.data.conversations import path_ids
from app.data.db import current
from app.data.importers import detect_format, import_path, recent_runs
from app.data.models import (
    Agent,
    AgentVersion,
    Collection,
    CollectionAgent,
    CollectionConversation,
    Conversation,
    ImportRun,
    LlmModel,
    Message,
    Source,
    Tag,
)
from app.errors import UserError

from .export_builders import (
    FIXTURES,
    branched_conversation,
    chatgpt_conversation,
    claude_conversation,
    linear_conversation,
    llm_logs_db,
    node,
    write_json,
    write_zip,
)


def conv_by_ext(ext: str) -> Conversation:
    return Conversation.get(Conversation.external_id == ext)


def refused_or_skipped_writing_nothing(path: Path) -> None:
    """Importing ``path`` is refused in one sentence, or the file is read and its one conversation reported
    unreadable; either way no conversation or message is written."""
    try:
        report = import_path(path)
    except UserError as exc:
        assert '\n' not in str(exc) and str(exc).endswith('.')
    else:
        assert report.skipped == 1 and report.errors  # read, but the one conversation is reported unreadable
    assert Conversation.select().count() == 0 and Message.select().count() == 0


def active_path(conv: Conversation) -> list[Message]:
    ids = path_ids(conv.active_leaf_id)
    by_id = {m.id: m for m in Message.select().where(Message.id.in_(ids))}
    return [by_id[i] for i in ids]


def visible_texts(conv: Conversation) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in active_path(conv) if not m.hidden]


def total_changes() -> int:
    return current().connection().total_changes


# --------------------------------------------------------------------------- the real fixture files


def test_librechat_chatgpt_export_keeps_tool_traffic_hidden_and_cleans_citations(db):
    report = import_path(FIXTURES / 'LibreChat__chatgpt-export.json')
    assert report.format == 'chatgpt'
    assert (report.conversations_added, report.messages_added, report.skipped, report.errors) == (
        2,
        21,
        0,
        [],
    )

    web = conv_by_ext('d6523d1e-7ec3-474f-a363-0e9dffdb3d93')
    assert web.title == web.source_title == 'Conversation 1. Web Search'
    assert web.created_at == datetime(2024, 1, 7, 12, 18, 35, 775304)  # the export's time, not now
    assert web.message_count == 16 and web.model.name == 'gpt-4'
    path = active_path(web)
    assert len(path) == 16  # a linear thread: the root without a message is dropped
    assert path[-1].external_id == '88a0cf9f-e860-4b34-8e7e-65f8346f4862'  # current_node
    assert path[0].role == 'system' and path[0].hidden  # the hidden empty system node is kept, hidden
    visible = visible_texts(web)
    assert [r for r, _ in visible] == ['user', 'assistant'] * 3
    assert visible[0][1].startswith('What is the fuel consumption of vw')
    answer = visible[1][1]
    assert '【' not in answer and '†' not in answer
    assert '[drive.com.au](https://www.drive.com.au/reviews/volkswagen-transporter-review/)' in answer
    # tool traffic keeps its substance: queries, quoted pages with title, URL and text
    assert {m.content_type for m in path if m.hidden} >= {'code', 'tether_browsing_display', 'tether_quote'}
    calls = [m.content for m in path if m.content_type == 'code']
    assert 'search("Volkswagen Transporter fuel consumption with 8 people l/km")' in calls
    quotes = [m for m in path if m.content_type == 'tether_quote']
    assert any('https://www.drive.com.au/reviews/volkswagen-transporter-review/' in q.content for q in quotes)
    assert all(q.author_name == 'browser' and q.role == 'tool' for q in quotes)
    assert json.loads(json.dumps(path[1].raw))['author']['role'] == 'user'  # raw message JSON kept

    code = conv_by_ext('7c5ab593-dbab-43bd-862d-2c3c1eeebf6a')
    assert code.model.name == 'text-davinci-002-render-sha'
    assert '```csharp' in visible_texts(code)[-1][1]
    assert LlmModel.get(LlmModel.name == 'gpt-4').provider.name == 'OpenAI'


def test_thinking_summaries_are_hidden_but_kept(db):
    report = import_path(FIXTURES / 'chatgpt-exporter__thinking-summaries.json')
    assert (report.format, report.conversations_added, report.messages_added) == ('chatgpt', 1, 14)
    conv = conv_by_ext('fixture')
    path = active_path(conv)
    assert len(path) == 14
    assert visible_texts(conv) == [
        ('user', 'question 1'),
        ('assistant', 'answer 1'),
        ('user', 'question 2'),
        ('assistant', 'answer 2'),
    ]
    thoughts = [m for m in path if m.content_type == 'thoughts']
    assert len(thoughts) == 4 and all(m.hidden for m in thoughts)
    assert 'thought 3' in thoughts[1].content and '**summary 2**' in thoughts[1].content
    assert [m.content for m in path if m.content_type == 'reasoning_recap'] == [
        'Thought for 29s',
        'Thought for 14s',
    ]
    web_run = [m for m in path if m.author_name == 'web.run']
    assert len(web_run) == 2 and all(m.hidden and m.role == 'tool' for m in web_run)
    assert all(m.model.name == 'gpt-5-6-thinking' for m in path if m.role == 'assistant')
    assert all(m.model_id is None for m in path if m.role == 'user')


def test_modern_chatgpt_keeps_custom_instructions(db):
    report = import_path(FIXTURES / 'openwebui-importer__gpt_example.json')
    assert (report.conversations_added, report.messages_added) == (1, 12)
    conv = conv_by_ext('6857150a-cd20-800f-a5f7-d2404f94b935')
    assert conv.title == 'How photosynthesis works'
    path = active_path(conv)
    context = [m for m in path if m.content_type == 'user_editable_context']
    assert len(context) == 1 and context[0].hidden
    assert 'Please keep the initial response to 1 to 2 paragraphs' in context[0].content
    assert [r for r, _ in visible_texts(conv)] == ['user', 'assistant'] * 5
    assert visible_texts(conv)[-2] == ('user', 'What about forests?')


def test_claude_bulk_export_with_blank_texts_and_empty_conversations(db):
    report = import_path(FIXTURES / 'openwebui-importer__claude_example.json')
    assert report.format == 'claude'
    assert (report.conversations_added, report.messages_added, report.skipped) == (85, 557, 0)
    assert Conversation.select().where(Conversation.message_count == 0).count() == 2  # kept, with no messages
    conv = conv_by_ext('76a904ac-7838-4a01-9e91-020411c40566')
    assert conv.title == 'How Photosynthesis Works' and conv.message_count == 10
    texts = visible_texts(conv)
    assert [r for r, _ in texts] == ['user', 'assistant'] * 5
    assert all(t for _, t in texts)
    first = conv_by_ext('636f35a1-13bb-479e-836b-e320aec9c6ac')
    assert first.title == '' and first.message_count == 4  # blanked messages are still messages
    assert first.created_at == datetime(2024, 3, 13, 14, 48, 37, 115821)


def test_claude_legacy_export_is_reordered_by_time_and_artifacts_are_readable(db):
    report = import_path(FIXTURES / 'claude-to-sqlite__artifacts.json')
    assert (report.conversations_added, report.skipped) == (1, 0)
    conv = conv_by_ext('91098bc8-f2c4-427b-b71b-1e25efa2e871')
    path = active_path(conv)
    visible = [m for m in path if not m.hidden]
    assert len(visible) == 20
    assert [m.role for m in visible] == ['user', 'assistant'] * 10  # the export's order was not chronological
    assert visible[0].content.startswith('Built me an artifact with no react')
    assert visible[6].content.startswith('Add a onkeyup event too')  # stored first in the file, asked fourth
    assert all(a.created_at <= b.created_at for a, b in zip(visible, visible[1:], strict=False))
    answer = visible[1].content
    assert '<antArtifact' not in answer and '<antThinking>' not in answer and '```html' in answer
    thinking = [m for m in path if m.content_type == 'thinking']
    assert len(thinking) == 10 and all(m.hidden for m in thinking)
    assert '[File: CleanShot 20241016 at 20.34.122x.png]' in visible[6].content
    assert report.messages_added == 30


def test_claude_per_conversation_shape_follows_parent_links(db):
    report = import_path(FIXTURES / 'claude-chat-viewer__claude-bakery-chat.json')
    assert (report.format, report.conversations_added) == ('claude', 1)
    conv = conv_by_ext('8006a434-8b0b-43df-8e6d-c0a7aeb2e6b3')
    assert conv.model.name == 'claude-3-5-sonnet-20240620' and conv.model.provider.name == 'Anthropic'
    path = active_path(conv)
    assert path[-1].external_id == '47e6dd5f-0e09-4063-8ab3-f155765ac9a1'
    texts = visible_texts(conv)
    assert [r for r, _ in texts] == ['user', 'assistant', 'user', 'assistant']
    assert texts[0][1].endswith('[Image: image]')
    assert '**Interactive Bakery Comparison**' in texts[1][1] and '```jsx' in texts[1][1]
    assert path[0].parent_id is None  # the all-zero root parent is no message


@pytest.mark.parametrize('name', sorted(p.name for p in FIXTURES.glob('*.json')))
def test_every_fixture_reimports_without_a_single_write(db, name):
    first = import_path(FIXTURES / name)
    assert first.conversations_added >= 1 and not first.errors
    counts = (Conversation.select().count(), Message.select().count())
    before = total_changes()
    again = import_path(FIXTURES / name)
    assert (again.conversations_added, again.conversations_updated, again.messages_added) == (0, 0, 0)
    assert again.conversations_unchanged == first.conversations_added
    assert (Conversation.select().count(), Message.select().count()) == counts
    assert (
        total_changes() - before == 2
    )  # only the ImportRun row (insert + final update): no UPDATE of content


# --------------------------------------------------------------------------- trees and branches


def test_branches_are_kept_and_current_node_picks_the_active_one(db, tmp_path):
    import_path(write_json(tmp_path / 'c.json', [branched_conversation(current='a2')]))
    conv = conv_by_ext('conv-branch')
    assert conv.message_count == 7
    assert [m.external_id for m in active_path(conv)] == ['u1', 'a1', 'u2', 'a2']
    siblings = Message.select().where(Message.parent == Message.get(Message.external_id == 'u2').id)
    assert sorted(m.content for m in siblings) == ['Second answer, first try', 'Second answer, regenerated']
    roots = Message.select().where((Message.conversation == conv.id) & Message.parent.is_null())
    assert sorted(m.external_id for m in roots) == ['u1', 'u1e']
    assert Message.get(Message.external_id == 'a2b').model.name == 'o3'


@pytest.mark.parametrize('current', [None, 'not-in-mapping', 'root'])
def test_missing_or_stale_current_node_falls_back_to_the_latest_leaf(db, tmp_path, current):
    import_path(write_json(tmp_path / 'c.json', [branched_conversation(current=current)]))
    conv = conv_by_ext('conv-branch')
    assert [m.external_id for m in active_path(conv)] == ['u1e', 'a1e']


def test_multimodal_parts_get_placeholders_and_transcripts(db, tmp_path):
    content = {
        'content_type': 'multimodal_text',
        'parts': [
            {
                'content_type': 'image_asset_pointer',
                'asset_pointer': 'file-service://file-abc',
                'width': 640,
                'height': 480,
            },
            {'content_type': 'audio_transcription', 'text': 'spoken words here'},
            {'content_type': 'audio_asset_pointer', 'asset_pointer': 'sediment://x'},
            'What is in this picture?',
        ],
    }
    conv = chatgpt_conversation(
        'mm',
        None,
        [
            node('r', None, None),
            node(
                'u',
                'r',
                'user',
                t=1.0,
                content=content,
                metadata={
                    'attachments': [{'id': 'file-abc', 'name': 'cat.png'}, {'id': 'f2', 'name': 'notes.pdf'}]
                },
            ),
            node('a', 'u', 'assistant', 'A cat.', 2.0, status='in_progress'),
        ],
        'a',
    )
    import_path(write_json(tmp_path / 'c.json', {'conversations': [conv]}))
    c = conv_by_ext('mm')
    user, answer = active_path(c)
    assert '[Image: cat.png (640×480)]' in user.content
    assert 'spoken words here' in user.content and '[Audio recording]' in user.content
    assert '[Attachment: notes.pdf]' in user.content
    assert c.title == 'What is in this picture?' or c.title  # no title in the export: one is made
    assert answer.status == 'incomplete'


def test_new_style_citation_markers_become_links():
    from app.data.importers.chatgpt import clean_citations

    marker = '\ue200cite\ue202turn0search3\ue201'
    meta = {
        'content_references': [
            {
                'matched_text': marker,
                'type': 'grouped_webpages',
                'items': [{'url': 'https://en.wikipedia.org/wiki/Paris', 'title': 'Paris'}],
            },
            {'matched_text': '\ue200navlist\ue202x\ue201', 'type': 'sources_footnote'},
        ]
    }
    text = f'\ue203Paris is the capital\ue204\ue206{marker}.\ue200navlist\ue202x\ue201 Unknown\ue200cite\ue202zz\ue201.'
    assert clean_citations(text, meta) == (
        'Paris is the capital ([en.wikipedia.org](https://en.wikipedia.org/wiki/Paris)). Unknown.'
    )
    assert clean_citations('plain text', meta) == 'plain text'


def test_interrupted_answers_are_marked(db, tmp_path):
    conv = chatgpt_conversation(
        'int',
        'Stopped',
        [
            node('u', None, 'user', 'Go', 1.0),
            node(
                'a',
                'u',
                'assistant',
                'Half an ans',
                2.0,
                metadata={'finish_details': {'type': 'interrupted'}},
            ),
        ],
        'a',
    )
    import_path(write_json(tmp_path / 'c.json', [conv]))
    answer = Message.get(Message.external_id == 'a')
    assert (answer.status, answer.finish_reason) == ('incomplete', 'interrupted')


# --------------------------------------------------------------------------- re-import rules


def test_newer_export_adds_only_new_messages_and_keeps_the_users_work(db, tmp_path):
    old = [linear_conversation('keep', 2, 'Original title'), linear_conversation('other', 1, 'Other')]
    import_path(write_json(tmp_path / 'old.json', old))
    conv = conv_by_ext('keep')
    # the user's work in the app
    tag = Tag.create(name='important')
    relations.add_tags('conversation', [conv.id], [tag.id])
    coll = Collection.create(name='Reading list')
    relations.add_to_collection('conversation', [conv.id], coll.id)
    edited_at = datetime(2030, 1, 1, 12, 0)
    Conversation.update(
        title='My own title', rating=5, favourite=True, notes='my notes', updated_at=edited_at
    ).where(Conversation.id == conv.id).execute()
    other = conv_by_ext('other')

    newer = copy.deepcopy(old)
    newer[0]['title'] = 'Title changed at the source'
    extra = node('keep-m4', 'keep-m3', 'user', 'a brand new question', 1_700_100_010.0)
    newer[0]['mapping']['keep-m4'] = extra
    newer[0]['mapping']['keep-m3']['children'].append('keep-m4')
    newer[0]['current_node'] = 'keep-m4'
    newer[1]['title'] = 'Other, renamed at the source'
    newer.append(linear_conversation('brand-new', 1, 'New'))
    report = import_path(write_json(tmp_path / 'new.json', newer))

    assert (report.conversations_added, report.conversations_updated, report.messages_added) == (1, 2, 3)
    conv = Conversation.get_by_id(conv.id)
    assert conv.title == 'My own title'  # renamed by the user: kept
    assert conv.source_title == 'Title changed at the source'
    assert (conv.rating, conv.favourite, conv.notes) == (5, True, 'my notes')
    assert conv.updated_at == edited_at  # the user's later edit is not dated back to the export
    assert [t.name for t in relations.tags_for('conversation', [conv.id])[conv.id]] == ['important']
    assert CollectionConversation.select().where(CollectionConversation.conversation == conv.id).count() == 1
    assert conv.message_count == 5 and active_path(conv)[-1].content == 'a brand new question'
    assert Message.select().where(Message.conversation == conv.id).count() == 5
    assert Conversation.get_by_id(other.id).title == 'Other, renamed at the source'  # never renamed: follows


def test_a_malformed_conversation_is_skipped_and_the_rest_imported(db, tmp_path):
    bad_mapping = linear_conversation('bad', 1)
    bad_mapping['mapping'] = ['not', 'a', 'dict']
    bad_content = linear_conversation('bad2', 1)
    next(n for n in bad_content['mapping'].values() if n['message'])['message']['content'] = 'oops'
    data = [
        linear_conversation('good1', 1),
        bad_mapping,
        'not even an object',
        bad_content,
        linear_conversation('good2', 1),
    ]
    report = import_path(write_json(tmp_path / 'c.json', data))
    assert (report.conversations_added, report.skipped) == (2, 3)
    assert len(report.errors) == 3 and any('bad' in e and 'mapping' in e for e in report.errors)
    assert {c.external_id for c in Conversation.select()} == {'good1', 'good2'}
    assert Message.select().where(Message.conversation == conv_by_ext('good1').id).count() == 2
    run = ImportRun.get_by_id(report.run_id)
    assert (run.status, run.skipped, run.conversations_added, len(run.errors)) == ('done', 3, 2, 3)


def test_dry_run_reports_without_writing_content(db, tmp_path):
    path = write_json(tmp_path / 'c.json', [branched_conversation(), linear_conversation('x', 3)])
    before = (Conversation.select().count(), Message.select().count(), LlmModel.select().count())
    dry = import_path(path, dry_run=True)
    assert (Conversation.select().count(), Message.select().count(), LlmModel.select().count()) == before
    assert dry.dry_run and 'o3' not in dry.models_added  # o3 is a default model already
    real = import_path(path)
    assert (
        (dry.conversations_added, dry.messages_added)
        == (real.conversations_added, real.messages_added)
        == (2, 13)
    )
    runs = recent_runs()
    assert [r.dry_run for r in runs[:2]] == [False, True]


def test_a_byte_order_mark_is_fine_in_a_file_and_in_a_zip(db, tmp_path):
    data = b'\xef\xbb\xbf' + json.dumps([linear_conversation('bom', 1)]).encode()
    (tmp_path / 'bom.json').write_bytes(data)
    assert import_path(tmp_path / 'bom.json').conversations_added == 1
    zipped = write_zip(tmp_path / 'bom.zip', {'conversations.json': data + b''})
    assert import_path(zipped).conversations_unchanged == 1


def test_progress_reaches_the_total(db, tmp_path):
    seen = []
    import_path(
        write_json(tmp_path / 'c.json', [linear_conversation(f'p{i}', 1) for i in range(5)]),
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[0] == (0, None) and seen[-1] == (5, 5)


# --------------------------------------------------------------------------- containers: zip, folder, split files


def test_split_files_in_a_folder_and_in_a_zip(db, tmp_path):
    folder = tmp_path / 'export'
    folder.mkdir()
    write_json(folder / 'conversations-000.json', [linear_conversation('s0', 1)])
    write_json(
        folder / 'conversations-001.json', [linear_conversation('s1', 1), linear_conversation('s2', 1)]
    )
    write_json(folder / 'user.json', {'email': 'someone@example.com'})
    (folder / 'chat.html').write_text('<html></html>')
    report = import_path(folder)
    assert (report.format, report.conversations_added, report.total) == ('chatgpt', 3, 3)
    zipped = write_zip(
        tmp_path / 'export.zip',
        {
            'conversations-001.json': [linear_conversation('s1', 1)],
            'conversations-002.json': [linear_conversation('s3', 1)],
            'file-abc-photo.png': b'\x89PNG...',
        },
    )
    again = import_path(zipped)
    assert (again.conversations_added, again.conversations_unchanged) == (1, 1)


def test_claude_zip_without_extension_with_projects_becomes_agents_and_collections(db, tmp_path):
    conv = claude_conversation(
        'cc1', [('m1', 'human', 'Hello Claude'), ('m2', 'assistant', 'Hello!')], project_uuid='proj-1'
    )
    conv['chat_messages'][0]['attachments'] = [
        {'file_name': 'spec.txt', 'file_size': 20, 'file_type': 'txt', 'extracted_content': 'THE SPEC TEXT'}
    ]
    conv['chat_messages'][1]['content'] = [
        {'type': 'thinking', 'thinking': 'pondering deeply'},
        {'type': 'tool_use', 'name': 'web_search', 'input': {'query': 'greeting etiquette'}},
        {'type': 'tool_result', 'name': 'web_search', 'content': [{'type': 'text', 'text': 'SEARCH RESULT'}]},
        {'type': 'text', 'text': 'Hello!'},
    ]
    project = {
        'uuid': 'proj-1',
        'name': 'Thesis',
        'description': 'My thesis work',
        'prompt_template': 'You are my thesis advisor.',
        'created_at': '2024-11-01T10:00:00Z',
        'docs': [{'filename': 'outline.md', 'content': '# Outline\nChapter 1'}],
    }
    base = 'data-2025-01-05-10-00-00-batch-0000/'
    archive = write_zip(
        tmp_path / 'claude-export-no-extension',
        {
            base + 'conversations.json': [conv],
            base + 'projects.json': [project],
            base + 'users.json': [{'uuid': 'u'}],
        },
    )
    assert detect_format(archive) == 'claude'
    report = import_path(archive)
    assert (report.format, report.conversations_added, report.agents_added, report.collections_added) == (
        'claude',
        1,
        1,
        1,
    )

    agent = Agent.get(Agent.external_id == 'proj-1')
    version = AgentVersion.get_by_id(agent.current_version_id)
    assert (agent.name, version.number, version.system_prompt) == ('Thesis', 1, 'You are my thesis advisor.')
    assert version.created_at == datetime(2024, 11, 1, 10, 0)
    coll = Collection.get(Collection.external_id == 'proj-1')
    assert coll.name == 'Thesis' and '## outline.md' in coll.notes and 'Chapter 1' in coll.notes
    assert CollectionAgent.select().where(CollectionAgent.collection == coll.id).count() == 1
    c = conv_by_ext('cc1')
    assert CollectionConversation.get(CollectionConversation.conversation == c.id).collection_id == coll.id

    path = active_path(c)
    assert [(m.content_type, m.hidden) for m in path] == [
        ('attachment', False),
        ('text', False),
        ('thinking', True),
        ('tool_use', True),
        ('tool_result', True),
        ('text', False),
    ]
    assert 'THE SPEC TEXT' in path[0].content and path[0].author_name == 'spec.txt'
    from app.data.search import search

    hits = search('spec text', mode='keyword')  # an attached document is found by its words
    assert [(h.kind, h.id) for h in hits if h.kind == 'message'] == [('message', path[0].id)]
    assert path[1].content == 'Hello Claude\n\n[Attachment: spec.txt]'
    assert 'greeting etiquette' in path[3].content and path[4].content == 'SEARCH RESULT'
    assert path[-1].external_id == 'm2' and path[1].external_id == 'm1'

    # a newer export: the project's instructions changed and it gained a document
    project2 = {
        **project,
        'prompt_template': 'You are my strict thesis advisor.',
        'updated_at': '2025-01-01T00:00:00Z',
        'docs': [*project['docs'], {'filename': 'sources.md', 'content': 'Knuth 1968'}],
    }
    Collection.update(notes=coll.notes + '\n\nmy own note').where(Collection.id == coll.id).execute()
    archive2 = write_zip(
        tmp_path / 'newer.zip', {base + 'conversations.json': [conv], base + 'projects.json': [project2]}
    )
    again = import_path(archive2)
    assert (
        again.agents_added,
        again.agent_versions_added,
        again.collections_added,
        again.conversations_added,
    ) == (0, 1, 0, 0)
    agent = Agent.get_by_id(agent.id)
    assert (
        AgentVersion.get_by_id(agent.current_version_id).system_prompt == 'You are my strict thesis advisor.'
    )
    notes = Collection.get_by_id(coll.id).notes
    assert 'my own note' in notes and 'Knuth 1968' in notes and notes.count('## outline.md') == 1


def test_claude_branches_from_parent_links(db, tmp_path):
    conv = claude_conversation(
        'cb',
        [
            ('h1', 'human', 'Q'),
            ('a1', 'assistant', 'A1'),
            ('a1b', 'assistant', 'A1 retry'),
            ('h2', 'human', 'Q2'),
        ],
    )
    msgs = conv['chat_messages']
    msgs[0]['parent_message_uuid'] = '00000000-0000-4000-8000-000000000000'
    msgs[1]['parent_message_uuid'] = 'h1'
    msgs[2]['parent_message_uuid'] = 'h1'
    msgs[3]['parent_message_uuid'] = 'a1'
    conv['current_leaf_message_uuid'] = 'h2'
    import_path(write_json(tmp_path / 'c.json', [conv]))
    c = conv_by_ext('cb')
    assert [m.external_id for m in active_path(c)] == ['h1', 'a1', 'h2']
    assert Message.select().where(Message.parent == Message.get(Message.external_id == 'h1').id).count() == 2


# --------------------------------------------------------------------------- llm logs.db


def test_llm_logs_legacy_and_new_store_deduplicated(db, tmp_path):
    path = llm_logs_db(tmp_path / 'logs.db')
    report = import_path(path)
    assert report.format == 'llm'
    assert (report.conversations_added, report.messages_added, report.skipped) == (4, 14, 0)
    legacy = conv_by_ext('01legacy')
    assert legacy.title == 'Haiku about SQLite' and legacy.model.name == 'gpt-4o-mini'
    texts = [(m.role, m.content) for m in active_path(legacy)]
    assert texts == [
        ('system', 'You are a poet'),
        ('user', 'Write a haiku about SQLite'),
        ('assistant', 'Pages in a B-tree'),
        ('user', 'Another one'),
        ('assistant', 'WAL keeps readers calm'),
    ]
    answer = active_path(legacy)[2]
    assert (answer.input_tokens, answer.output_tokens) == (12, 7)
    assert answer.created_at == datetime(2024, 5, 1, 10, 0, 0, 900000)
    dual = conv_by_ext('01dual')  # in both stores: read once, from the new one
    assert [m.content for m in active_path(dual)] == ['Dual question', 'Dual answer (new store)']
    thread = conv_by_ext('01thread')
    path_ = active_path(thread)
    assert path_[0].content == 'FRAGMENT TEXT - what is it?'
    assert [(m.content_type, m.hidden) for m in path_] == [
        ('text', False),
        ('reasoning', True),
        ('tool_call', True),
        ('tool_result', True),
        ('text', False),
    ]
    assert path_[-1].model.name == 'gpt-4.1' and path_[-1].output_tokens == 6
    assert path_[3].content == 'LOOKUP RESULT' and path_[3].created_at == datetime(2024, 7, 1, 8, 0, 5)
    assert conv_by_ext('r4').message_count == 2
    again = import_path(path)
    assert (again.conversations_added, again.messages_added, again.conversations_unchanged) == (0, 0, 4)
    assert Source.get_by_id(legacy.source_id).kind == 'llm'


def test_llm_legacy_only(db, tmp_path):
    report = import_path(llm_logs_db(tmp_path / 'logs.db', store=False))
    assert (report.conversations_added, report.messages_added) == (3, 9)


# --------------------------------------------------------------------------- not an export: refused, nothing written


def _hostile(tmp_path: Path) -> dict[str, Path]:
    good = json.dumps([linear_conversation('t', 3)])
    files = {
        'wrong json': write_json(tmp_path / 'wrong.json', {'hello': 'world', 'items': [1, 2]}),
        'list of numbers': write_json(tmp_path / 'nums.json', [1, 2, 3]),
        'empty list': write_json(tmp_path / 'emptylist.json', []),
        'truncated': tmp_path / 'truncated.json',
        'empty': tmp_path / 'empty.json',
        'binary': tmp_path / 'photo.jpg',
        'zip with other content': write_zip(tmp_path / 'other.zip', {'readme.txt': 'hi', 'data.json': [1]}),
        'zip with ../ paths': write_zip(
            tmp_path / 'evil.zip', {'../../conversations.json': [linear_conversation('e', 1)]}
        ),
        'truncated zip': tmp_path / 'cut.zip',
        'zip bomb': write_zip(
            tmp_path / 'bomb.zip', {'conversations.json': '[' + ' ' * (70 * 1024 * 1024) + ']'}
        ),
        'not json at all': tmp_path / 'notes.txt',
        'sqlite but not llm': tmp_path / 'other.db',
        'missing': tmp_path / 'nope.json',
    }
    files['truncated'].write_text(good[: len(good) // 2])
    files['empty'].write_bytes(b'')
    files['binary'].write_bytes(b'\xff\xd8\xff\xe0' + bytes(range(256)) * 10)
    full = write_zip(
        tmp_path / 'full.zip', {'conversations.json': [linear_conversation('z', 3)] * 20}
    ).read_bytes()
    files['truncated zip'].write_bytes(full[: len(full) // 2])
    files['not json at all'].write_text('just some notes, not an export')
    import sqlite3

    conn = sqlite3.connect(files['sqlite but not llm'])
    conn.execute('CREATE TABLE t (x)')
    conn.commit()
    conn.close()
    return files


def test_things_that_are_not_exports_are_refused_and_nothing_is_written(db, tmp_path):
    for label, path in _hostile(tmp_path).items():
        before = total_changes()
        with pytest.raises(UserError) as err:
            import_path(path)
        message = str(err.value)
        assert message and '\n' not in message and 'Traceback' not in message, label
        assert total_changes() == before, f'{label} wrote something'
    assert ImportRun.select().count() == 0
    assert Conversation.select().count() == 0


def test_an_output_hub_database_is_pointed_at_restore(db, tmp_path, db_path):
    with pytest.raises(UserError, match='restore'):
        import_path(db_path)


def test_a_conversation_failing_inside_the_database_rolls_back_alone(db):
    from app.data.importers.base import (
        ConversationWriter,
        ImportReport,
        ParsedConversation,
        ParsedMessage,
        save_each,
    )

    def conv(ext: str, tokens: int | None = None) -> ParsedConversation:
        return ParsedConversation(
            ext,
            f'Title {ext}',
            [
                ParsedMessage(f'{ext}-u', None, 'user', 'question'),
                ParsedMessage(f'{ext}-a', f'{ext}-u', 'assistant', 'answer', input_tokens=tokens),
            ],
        )

    report = ImportReport(format='llm')
    writer = ConversationWriter('llm', report)
    items = [(c.external_id, lambda c=c: c) for c in (conv('one'), conv('bad', tokens=2**70), conv('two'))]
    save_each(writer, items, lambda: None)
    assert (report.conversations_added, report.skipped) == (2, 1)
    assert {c.external_id for c in Conversation.select()} == {'one', 'two'}  # no half-written 'bad'
    assert Message.select().count() == 4
    again = ImportReport(format='llm')
    save_each(ConversationWriter('llm', again), [('one', lambda: conv('one'))], lambda: None)
    assert again.conversations_unchanged == 1


def test_cancel_keeps_whole_conversations_and_a_later_import_adds_the_rest(db, tmp_path, monkeypatch):
    import threading

    from app.data.importers import chatgpt

    path = write_json(tmp_path / 'c.json', [linear_conversation(f'k{i}', 2) for i in range(30)])
    cancel = threading.Event()
    convert = chatgpt.convert
    seen = []

    def convert_and_press_stop(conv, report):
        seen.append(conv['id'])
        if len(seen) == 10:
            cancel.set()  # the user presses Stop while the tenth conversation is being read
        return convert(conv, report)

    monkeypatch.setattr(chatgpt, 'convert', convert_and_press_stop)
    report = import_path(path, cancel=cancel)
    assert report.cancelled and report.conversations_added == 10
    assert ImportRun.get_by_id(report.run_id).status == 'cancelled'
    assert Conversation.select().count() == 10
    assert all(c.message_count == 4 for c in Conversation.select())  # whole conversations only
    monkeypatch.setattr(chatgpt, 'convert', convert)
    rest = import_path(path)
    assert rest.conversations_added == 20 and not rest.cancelled


def test_stop_while_the_file_is_still_being_read_writes_nothing(db, tmp_path, monkeypatch):
    """A big export takes a while to read before anything is written; Stop must work then too."""
    import threading

    from app.data.importers import inputs

    path = write_json(tmp_path / 'c.json', [linear_conversation(f'k{i}', 2) for i in range(30)])
    cancel = threading.Event()
    iter_items = inputs.iter_items

    def read_and_press_stop(doc):
        for n, item in enumerate(iter_items(doc)):
            if n == 5:
                cancel.set()  # the user presses Stop while the file is being read
            yield item

    monkeypatch.setattr(inputs, 'iter_items', read_and_press_stop)
    report = import_path(path, cancel=cancel)
    assert report.cancelled and report.run_id is None and report.conversations_added == 0
    assert Conversation.select().count() == 0 and ImportRun.select().count() == 0
    monkeypatch.setattr(inputs, 'iter_items', iter_items)
    assert import_path(path).conversations_added == 30


def test_hidden_tool_traffic_is_keyword_searchable(db):
    from app.data import search

    import_path(FIXTURES / 'LibreChat__chatgpt-export.json')
    hits = search.search('ultimatespecs', mode='keyword')
    assert hits and all(h.kind == 'message' for h in hits)
    assert any(Message.get_by_id(h.id).hidden for h in hits)  # a quoted page: folded away, yet found
