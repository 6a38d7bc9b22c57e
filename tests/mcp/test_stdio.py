"""``outputhub mcp`` over stdio, driven by the MCP SDK's own client: the tools and prompts a client
lists, every tool called, bad calls answered as tool errors with nothing but protocol on stdout."""

from __future__ import annotations

from pathlib import Path

from mcp.shared.exceptions import MCPError

from app.data import conversations, outputs, prompts, relations
from app.data.models import Output

from .conftest import build_library, error, result, stdio_session

TOOLS = {
    'search',
    'get_output',
    'get_conversation',
    'get_prompt',
    'similar',
    'recent',
    'save_output',
    'save_conversation',
    'tag',
    'link_outputs',
    'rate',
}


async def test_a_client_lists_the_tools_and_the_saved_prompts(db, db_path: Path) -> None:
    lib = build_library()
    # A prompt text that only came with a capture is its provenance, not a saved prompt.
    outputs.capture_output(
        outputs.CaptureData(body='Backups rotate daily.', prompt='Summarise the backup policy')
    )
    async with stdio_session(db_path) as session:
        listed = (await session.list_tools()).tools
        assert {t.name for t in listed} == TOOLS
        by_name = {t.name: t for t in listed}
        for tool in listed:
            assert len(tool.description or '') > 40, tool.name
            assert tool.input_schema['type'] == 'object'
        search = by_name['search'].input_schema
        assert search['required'] == ['query']
        assert search['properties']['limit']['maximum'] == 50
        assert search['properties']['mode']['enum'] == ['hybrid', 'keyword', 'semantic']
        assert by_name['search'].annotations.read_only_hint is True
        assert by_name['save_output'].annotations.read_only_hint is False
        assert by_name['save_output'].input_schema['required'] == ['body']

        listed_prompts = {p.title: p for p in (await session.list_prompts()).prompts}
        captured = prompts.get_prompt(prompts.find_version_by_body('Summarise the backup policy').prompt_id)
        assert captured.title == 'Summarise the backup policy' and not captured.saved
        assert captured.title not in listed_prompts and 'Zanzibar plan' in listed_prompts
        review = listed_prompts['Code review']
        assert review.name == f'code-review-{lib.review}'
        args = {a.name: a for a in review.arguments}
        assert args['focus'].required is True and args['language'].required is False
        assert 'Python' in args['language'].description

        got = await session.get_prompt(review.name, {'focus': 'race conditions'})
        assert got.messages[0].content.text == 'Review this Python code carefully for race conditions.'
        assert 'version 2' in got.description
        first = await session.get_prompt(review.name, {'focus': 'naming', 'language': 'Go', 'version': '1'})
        assert first.messages[0].content.text == 'Review this Go code for naming.'
        try:
            await session.get_prompt(review.name, {})
            raise AssertionError('a missing variable must be refused')
        except MCPError as exc:
            assert 'focus' in exc.message

        # A use is counted, and an output saved with the filled-in text counts against that version.
        assert prompts.get_prompt(lib.review).use_count == 2
        saved = result(
            await session.call_tool(
                'save_output',
                {'body': 'Looks fine.', 'prompt': 'Review this Python code carefully for race conditions.'},
            )
        )
        version = prompts.version_by_number(lib.review, 2)
        assert Output.get_by_id(saved['id']).prompt_version_id == version.id


async def test_every_tool_answers_and_a_save_is_searchable_at_once(db, db_path: Path) -> None:
    lib = build_library()
    async with stdio_session(db_path) as session:
        found = result(await session.call_tool('search', {'query': 'readers writer', 'mode': 'keyword'}))
        assert [(h['kind'], h['id']) for h in found['results']][:1] == [('output', lib.wal)]
        hit = found['results'][0]
        assert hit['url'] == f'http://127.0.0.1:8080/outputs/{lib.wal}' and 'WAL' in hit['snippet']
        tagged = result(
            await session.call_tool('search', {'query': 'dead tuples', 'tags': ['sqlite'], 'mode': 'keyword'})
        )
        assert tagged['count'] == 0  # the vacuum note is not tagged sqlite
        meaning = result(await session.call_tool('search', {'query': 'vacuum reclaims', 'mode': 'semantic'}))
        assert ('output', lib.vacuum) in {(h['kind'], h['id']) for h in meaning['results']}

        out = result(await session.call_tool('get_output', {'id': lib.wal}))
        assert out['body'].startswith('SQLite WAL') and out['tags'] == ['sqlite'] and out['model'] == 'gpt-4o'

        middle = lib.chat_messages[7]
        conv = result(
            await session.call_tool('get_conversation', {'id': lib.chat, 'message_id': middle, 'window': 2})
        )
        assert [m['id'] for m in conv['messages']] == lib.chat_messages[5:10]
        assert conv['shown'] == 'messages 6-10 of 14 on this branch'
        page = result(await session.call_tool('get_conversation', {'id': lib.chat, 'limit': 3}))
        assert [m['role'] for m in page['messages']] == ['user', 'assistant', 'user']

        prompt = result(await session.call_tool('get_prompt', {'id': lib.review, 'version': 1}))
        assert prompt['version'] == 1 and prompt['current_version'] == 2 and prompt['versions'] == [2, 1]
        assert prompt['variables'] == [
            {'name': 'language', 'default': 'Python', 'required': False},
            {'name': 'focus', 'default': None, 'required': True},
        ]

        near = result(await session.call_tool('similar', {'output_id': lib.wal}))
        assert lib.wal not in [h['id'] for h in near['results'] if h['kind'] == 'output']
        latest = result(await session.call_tool('recent', {'kind': 'output', 'limit': 2}))
        assert latest['count'] == 2 and latest['items'][0]['url'].startswith('http://127.0.0.1:8080/outputs/')

        body = 'Hybrid retrieval: fuse BM25 and cosine ranks with reciprocal rank fusion.'
        saved = result(
            await session.call_tool(
                'save_output', {'body': body, 'title': 'RRF', 'tags': ['search'], 'model': 'claude-sonnet-4'}
            )
        )
        assert saved['saved'] is True
        again = result(await session.call_tool('save_output', {'body': body}))
        assert again['saved'] is False and again['id'] == saved['id']
        assert 'already in your library' in again['message'].lower()
        found = result(
            await session.call_tool('search', {'query': 'reciprocal rank fusion', 'mode': 'keyword'})
        )
        assert found['results'][0]['id'] == saved['id']
        detail = outputs.output_detail(saved['id'])
        assert detail.source.name == 'MCP · pytest-client' and [t.name for t in detail.tags] == ['search']

        chat = [
            {'role': 'user', 'content': 'What is WAL?'},
            {'role': 'assistant', 'content': 'Write-ahead logging.'},
        ]
        new = result(await session.call_tool('save_conversation', {'messages': chat, 'title': 'WAL chat'}))
        more = chat + [{'role': 'user', 'content': 'And checkpoints?'}]
        cont = result(
            await session.call_tool('save_conversation', {'messages': more, 'conversation_id': new['id']})
        )
        assert (cont['added'], cont['already_stored']) == (1, 2)
        fork = chat[:1] + [{'role': 'assistant', 'content': 'A journal mode of SQLite.'}]
        result(await session.call_tool('save_conversation', {'messages': fork, 'conversation_id': new['id']}))
        thread = conversations.thread(new['id'])
        assert [tm.message.content for tm in thread] == ['What is WAL?', 'A journal mode of SQLite.']
        assert thread[1].sibling_count == 2  # a new branch beside the first answer

        tags = result(await session.call_tool('tag', {'id': lib.vacuum, 'add': ['postgres', 'ops']}))
        assert sorted(tags['tags']) == ['ops', 'postgres']
        result(
            await session.call_tool('link_outputs', {'output_id': lib.wal, 'related_output_id': lib.vacuum})
        )
        assert [o.id for o in relations.related_outputs(lib.wal)] == [lib.vacuum]
        rated = result(await session.call_tool('rate', {'id': lib.wal, 'rating': 5, 'favourite': True}))
        assert rated['rating'] == 5 and rated['favourite'] is True


async def test_bad_calls_are_tool_errors_and_stdout_stays_protocol(db, db_path: Path, tmp_path: Path) -> None:
    lib = build_library()
    # A database that fails under the server (a trigger refusing links) makes an unexpected error.
    db.execute_sql(
        "CREATE TRIGGER no_links BEFORE INSERT ON output_link BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    log = tmp_path / 'server.log'
    garbage: list[Exception] = []
    with log.open('w') as errlog:
        async with stdio_session(db_path, errlog=errlog, garbage=garbage) as session:
            assert 'does not exist' in error(await session.call_tool('get_output', {'id': 999999}))
            assert 'Bad argument id' in error(await session.call_tool('get_output', {'id': 'abc'}))
            assert 'Bad argument id' in error(await session.call_tool('get_output', {'id': 2**70}))
            assert 'not an argument' in error(
                await session.call_tool('search', {'query': 'x', 'colour': 'red'})
            )
            assert 'query' in error(await session.call_tool('search', {}))
            assert 'no tool called' in error(await session.call_tool('delete_everything', {}))
            assert 'not part of conversation' in error(
                await session.call_tool(
                    'get_conversation', {'id': lib.chat, 'message_id': lib.leaked_message}
                )
            )
            assert 'either output_id or message_id' in error(await session.call_tool('similar', {}))
            unexpected = error(
                await session.call_tool(
                    'link_outputs', {'output_id': lib.wal, 'related_output_id': lib.vacuum}
                )
            )
            assert 'unexpected error' in unexpected and 'disk on fire' not in unexpected
            # The session still works: every line on stdout was protocol.
            assert (
                result(await session.call_tool('search', {'query': 'WAL', 'mode': 'keyword'}))['count'] >= 1
            )
    assert garbage == []
    text = log.read_text()
    assert 'Traceback' in text and 'disk on fire' in text  # the details went to stderr


async def test_a_read_only_server_refuses_to_save(db, db_path: Path) -> None:
    build_library()
    async with stdio_session(db_path, '--read-only') as session:
        assert result(await session.call_tool('search', {'query': 'WAL', 'mode': 'keyword'}))['count'] >= 1
        refused = error(await session.call_tool('save_output', {'body': 'Not to be kept'}))
        assert (
            refused
            == 'This connection to Output Hub is read-only; it cannot save or change anything in Output Hub.'
        )
        assert 'read-only' in error(await session.call_tool('rate', {'id': 1, 'rating': 3}))
    assert outputs.find_duplicates('Not to be kept') == []


def test_the_tool_list_matches_the_readme() -> None:
    from app.mcp import tools

    readme = (Path(__file__).resolve().parents[2] / 'README.md').read_text()
    for name in TOOLS:
        assert f'`{name}`' in readme
    assert {t.name for t in tools.TOOLS} == TOOLS
