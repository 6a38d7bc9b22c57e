"""Library items as MCP resources over ``outputhub mcp`` (stdio), read with the SDK's own client: the
templates and the short list a client offers to attach, each kind read as Markdown, a long conversation
capped with a note, and bad URIs answered as MCP errors with nothing but protocol on stdout."""

from __future__ import annotations

from pathlib import Path

import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError

from app.data import conversations, outputs

from .conftest import build_library, stdio_session

APP = 'http://127.0.0.1:8080'


def text_of(res: types.ReadResourceResult) -> str:
    assert len(res.contents) == 1
    return res.contents[0].text


async def test_a_client_lists_the_templates_and_the_latest_items(db, db_path: Path) -> None:
    lib = build_library()
    async with stdio_session(db_path) as session:
        templates = (await session.list_resource_templates()).resource_templates
        assert {t.uri_template for t in templates} == {
            'outputhub://output/{id}',
            'outputhub://conversation/{id}',
            'outputhub://prompt/{id}',
        }
        assert all(t.mime_type == 'text/markdown' and len(t.description or '') > 40 for t in templates)

        listed = (await session.list_resources()).resources
        uris = [r.uri for r in listed]
        assert uris[:2] == ['outputhub://recent', 'outputhub://recent/conversations']
        assert f'outputhub://output/{lib.wal}' in uris and f'outputhub://conversation/{lib.chat}' in uris
        assert len(listed) <= 2 + 10 + 5  # the latest few, never the library
        by_uri = {r.uri: r for r in listed}
        assert by_uri[f'outputhub://output/{lib.wal}'].title == 'WAL notes'

        recent = text_of(await session.read_resource('outputhub://recent'))
        assert recent.startswith('# Latest captures')
        assert f'outputhub://output/{lib.wal}' in recent and 'WAL notes' in recent
        chats = text_of(await session.read_resource('outputhub://recent/conversations'))
        assert f'outputhub://conversation/{lib.chat}' in chats and '14 messages' in chats


async def test_each_kind_reads_as_markdown_and_a_long_thread_is_capped(db, db_path: Path) -> None:
    lib = build_library()
    outputs.capture_output(
        outputs.CaptureData(
            body='Checkpoints move WAL frames into the database file.',
            title='Checkpoints',
            prompt='What does a checkpoint do?',
            model='claude-sonnet-4',
            tags=['sqlite', 'wal'],
        )
    )
    answered = outputs.find_duplicates('Checkpoints move WAL frames into the database file.')[0].id
    long_chat = conversations.create_from_turns(
        'Long chat', [('user' if i % 2 == 0 else 'assistant', f'Turn number {i}') for i in range(60)]
    )
    async with stdio_session(db_path) as session:
        res = await session.read_resource(f'outputhub://output/{answered}')
        assert res.contents[0].mime_type == 'text/markdown'
        out = text_of(res)
        assert out.startswith('# Checkpoints\n')
        assert f'{APP}/outputs/{answered}' in out
        assert '- Model: claude-sonnet-4' in out and '- Tags: sqlite, wal' in out
        assert '## Prompt\n\nWhat does a checkpoint do?' in out
        assert '## Output\n\nCheckpoints move WAL frames into the database file.' in out

        chat = text_of(await session.read_resource(f'outputhub://conversation/{lib.chat}'))
        assert chat.startswith('# Indexing chat\n') and f'{APP}/conversations/{lib.chat}' in chat
        assert '14 messages on its active branch' in chat
        assert 'Question 0 about FTS5' in chat and 'Answer 6: the trigram' in chat
        assert 'left out' not in chat
        assert chat.index('## User') < chat.index('## Assistant')

        capped = text_of(await session.read_resource(f'outputhub://conversation/{long_chat.id}'))
        assert '60 messages on its active branch' in capped
        assert '20 messages left out here (messages 5-24 of 60)' in capped
        shown = [i for i in range(60) if f'Turn number {i}\n' in capped]
        assert shown == [0, 1, 2, 3, *range(24, 60)]

        prompt = await session.read_resource(f'outputhub://prompt/{lib.review}')
        assert text_of(prompt) == 'Review this {{language|Python}} code carefully for {{focus}}.'  # version 2


async def test_bad_uris_are_mcp_errors_and_stdout_stays_protocol(db, db_path: Path, tmp_path: Path) -> None:
    lib = build_library()
    garbage: list[Exception] = []
    log = tmp_path / 'server.log'
    with log.open('w') as errlog:
        async with stdio_session(db_path, errlog=errlog, garbage=garbage) as session:
            for uri, words in [
                ('outputhub://output/999999', 'Output 999999 does not exist.'),
                ('outputhub://conversation/999999', 'Conversation 999999 does not exist.'),
                ('outputhub://prompt/999999', 'does not exist'),
                ('outputhub://output/abc', 'is not an id'),
                ('outputhub://output/0', 'is not an id'),
                (f'outputhub://output/{2**70}', 'is not an id'),
                ('outputhub://output/-3', 'is not an id'),
                ('outputhub://output/', 'There is no resource'),
                ('outputhub://everything', 'There is no resource'),
                ('file:///etc/passwd', 'There is no resource'),
            ]:
                with pytest.raises(MCPError) as caught:
                    await session.read_resource(uri)
                assert words in caught.value.message, uri
                assert caught.value.code == types.INVALID_PARAMS
            # Still one session: every line on stdout was protocol.
            assert 'WAL notes' in text_of(await session.read_resource(f'outputhub://output/{lib.wal}'))
    assert garbage == []
    assert 'Traceback' not in log.read_text()


async def test_this_computer_reads_a_secret_item_over_stdio(db, db_path: Path) -> None:
    lib = build_library()
    async with stdio_session(db_path, '--read-only') as session:
        secret = text_of(await session.read_resource(f'outputhub://output/{lib.secret_output}'))
        assert 'Zanzibar launch codes' in secret
        plan = text_of(await session.read_resource(f'outputhub://prompt/{lib.secret_prompt}'))
        assert plan == 'Plan the Zanzibar launch for {{date}}.'
