"""Property-based tests (hypothesis): whatever a file or a search box holds, the importers and the search
never fail with an unhandled exception — the worst is one sentence (``UserError``) or a skipped,
reported conversation; and well-formed exports with arbitrary text import completely."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.data import conversations, embeddings, outputs, search, settings_store
from app.data.importers import import_path
from app.data.listing import ListParams
from app.data.models import Conversation, Message
from app.errors import UserError
from tests.data.export_builders import assert_no_parser_bug

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    derandomize=False,
)

# Text as exports really carry it, plus what breaks naive code: NULs, lone surrogates, RTL marks, emoji.
any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60) | st.sampled_from(
    ['', '\x00', '\ud800', 'a\udfffb', '\u202e', '💥' * 3, '<script>x</script>', '{{x}}', '"']
)
scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True) | any_text
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4),
    max_leaves=25,
)
timestamps = (
    st.none() | st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(2**63), 2**63) | any_text
)


def _write(tmp_path: Path, data: Any, raw: bytes | None = None) -> Path:
    path = tmp_path / f'export-{time.monotonic_ns()}.json'
    if raw is not None:
        path.write_bytes(raw)
    else:
        # json.dumps writes lone surrogates as \ud800 escapes, exactly as a JSON file can carry them
        path.write_text(json.dumps(data, allow_nan=True), encoding='utf-8')
    return path


TALLY: dict[str, int] = {
    'imported': 0,
    'skipped conversations': 0,
    'refused in one sentence': 0,
    'searches': 0,
}


@pytest.fixture(scope='module', autouse=True)
def _figure(request: pytest.FixtureRequest) -> Any:
    yield
    capture = request.config.pluginmanager.getplugin('capturemanager')
    with capture.global_and_fixture_disabled():  # printed once for the module, like the other figures
        print(
            '\n[reliability] hostile input: '
            + ', '.join(f'{n} {what}' for what, n in TALLY.items())
            + ', 0 unhandled exceptions',
            flush=True,
        )


def _import(path: Path):
    """Run an import; a UserError (one sentence) is an acceptable outcome, anything else fails the test."""
    try:
        report = import_path(path)
    except UserError as exc:
        assert str(exc).strip() and '\n' not in str(exc).strip()
        TALLY['refused in one sentence'] += 1
        return None
    finally:
        path.unlink(missing_ok=True)
    TALLY['imported'] += 1
    TALLY['skipped conversations'] += report.skipped
    assert_no_parser_bug(report)  # skipped for being malformed, never for the parser breaking
    return report


# --------------------------------------------------------------------------- any file at all


@SETTINGS
@given(data=json_values)
def test_any_json_document_is_imported_or_refused_in_one_sentence(db, tmp_path: Path, data) -> None:
    _import(_write(tmp_path, data))


@SETTINGS
@given(
    raw=st.binary(max_size=300)
    | st.sampled_from([b'PK\x03\x04garbage', b'SQLite format 3\x00xx', b'\xef\xbb\xbf['])
)
def test_any_bytes_are_imported_or_refused_in_one_sentence(db, tmp_path: Path, raw: bytes) -> None:
    _import(_write(tmp_path, None, raw))


# --------------------------------------------------------------------------- export-shaped chaos


def chatgpt_node(node_id: st.SearchStrategy, parent: st.SearchStrategy) -> st.SearchStrategy:
    message = st.fixed_dictionaries(
        {
            'id': json_values,
            'author': st.fixed_dictionaries(
                {'role': st.sampled_from(['user', 'assistant', 'system', 'tool']) | json_values}
            ),
            'create_time': timestamps,
            'content': st.fixed_dictionaries(
                {
                    'content_type': st.sampled_from(['text', 'code', 'multimodal_text', 'thoughts'])
                    | any_text,
                    'parts': st.lists(json_values, max_size=3),
                }
            )
            | json_values,
            'metadata': json_values,
            'status': json_values,
        }
    )
    return st.fixed_dictionaries(
        {
            'id': node_id,
            'parent': parent,
            'children': st.lists(json_values, max_size=2),
            'message': st.none() | message,
        }
    )


node_ids = st.sampled_from(['a', 'b', 'c', 'd', 'root']) | json_values
chatgpt_conversations = st.lists(
    st.fixed_dictionaries(
        {
            'id': st.sampled_from(['c1', 'c2', 'c3']) | json_values,
            'title': json_values,
            'create_time': timestamps,
            'update_time': timestamps,
            'current_node': node_ids,
            'mapping': st.dictionaries(
                st.sampled_from(['a', 'b', 'c', 'd', 'root']) | any_text,
                chatgpt_node(node_ids, node_ids),
                max_size=5,
            )
            | json_values,
        }
    ),
    min_size=1,
    max_size=3,
)

claude_conversations = st.lists(
    st.fixed_dictionaries(
        {
            'uuid': st.sampled_from(['k1', 'k2']) | json_values,
            'name': json_values,
            'created_at': timestamps,
            'updated_at': timestamps,
            'chat_messages': st.lists(
                st.fixed_dictionaries(
                    {
                        'uuid': st.sampled_from(['m1', 'm2', 'm3']) | json_values,
                        'sender': st.sampled_from(['human', 'assistant']) | json_values,
                        'text': json_values,
                        'content': st.lists(
                            st.fixed_dictionaries(
                                {
                                    'type': st.sampled_from(['text', 'thinking', 'tool_use', 'tool_result'])
                                    | any_text,
                                    'text': json_values,
                                    'input': json_values,
                                }
                            ),
                            max_size=3,
                        )
                        | json_values,
                        'created_at': timestamps,
                        'parent_message_uuid': st.sampled_from(['m1', 'm2', 'm3']) | json_values,
                        'attachments': json_values,
                    }
                ),
                max_size=4,
            )
            | json_values,
            'project': json_values,
        }
    ),
    min_size=1,
    max_size=3,
)

RECORD_TYPES = [
    'tag',
    'category',
    'collection',
    'prompt',
    'agent',
    'conversation',
    'output',
    'output_tag',
    'collection_output',
    'output_link',
    'message_refs',
    'llm_model',
    'provider',
    'nonsense',
]
outputhub_exports = st.fixed_dictionaries(
    {
        'format': st.just('outputhub'),
        'version': st.sampled_from([1, 2]) | json_values,
        'records': st.lists(
            st.fixed_dictionaries(
                {'type': st.sampled_from(RECORD_TYPES) | json_values},
                optional={
                    'id': st.integers(-3, 50) | json_values,
                    'name': json_values,
                    'title': json_values,
                    'body': json_values,
                    'tag': st.integers(0, 5) | json_values,
                    'output': st.integers(0, 5) | json_values,
                    'a': st.integers(0, 5),
                    'b': st.integers(0, 5),
                    'provider': st.integers(0, 3) | json_values,
                    'messages': st.lists(
                        st.fixed_dictionaries(
                            {
                                'id': st.integers(0, 9),
                                'parent': st.integers(0, 9) | st.none(),
                                'role': json_values,
                                'content': json_values,
                            }
                        ),
                        max_size=3,
                    )
                    | json_values,
                    'versions': st.lists(
                        st.fixed_dictionaries(
                            {'number': json_values, 'body': json_values, 'system_prompt': json_values}
                        ),
                        max_size=2,
                    )
                    | json_values,
                    'created_at': timestamps,
                    'deleted_at': timestamps,
                    'rating': json_values,
                    'sensitivity': json_values,
                },
            ),
            max_size=8,
        ),
    }
)


@SETTINGS
@example(
    convs=[
        {
            'id': 'c1',
            'current_node': 'a',
            'mapping': {'a': {'id': 'a', 'parent': [], 'children': [], 'message': None}},
        }
    ]
)
@example(
    convs=[
        {
            'id': 'c1',
            'current_node': 'a',
            'mapping': {
                'b': {'id': 'b', 'parent': 'a', 'message': {'author': {'role': [None]}, 'status': 1}}
            },
        }
    ]
)
@given(convs=chatgpt_conversations)
def test_chatgpt_shaped_chaos_never_escapes(db, tmp_path: Path, convs) -> None:
    report = _import(_write(tmp_path, convs))
    if report is not None:
        assert report.skipped == len(report.errors) or len(report.errors) >= report.skipped


@SETTINGS
@given(convs=claude_conversations)
def test_claude_shaped_chaos_never_escapes(db, tmp_path: Path, convs) -> None:
    _import(_write(tmp_path, convs))


@SETTINGS
@example(
    doc={
        'format': 'outputhub',
        'version': 1,
        'records': [{'type': 'conversation'}, {'type': 'output_tag', 'tag': []}],
    }
)
@example(doc={'format': 'outputhub', 'version': 1, 'records': [{'type': 'output', 'id': 0, 'body': True}]})
@example(
    doc={'format': 'outputhub', 'version': 1, 'records': [{'type': 'tag', 'id': 0, 'created_at': 2**63}]}
)
@example(doc={'format': 'outputhub', 'version': 1, 'records': [{'type': 'tag', 'id': 2**63, 'name': 'x'}]})
@given(doc=outputhub_exports)
def test_outputhub_shaped_chaos_never_escapes(db, tmp_path: Path, doc) -> None:
    _import(_write(tmp_path, doc))


# --------------------------------------------------------------------------- well-formed, arbitrary text


@SETTINGS
@given(texts=st.lists(any_text, min_size=1, max_size=6), title=any_text, when=st.floats(0, 4e9))
def test_a_well_formed_chatgpt_conversation_with_any_text_imports_whole(
    db, tmp_path: Path, texts, title, when
) -> None:
    conv_id = f'conv-{time.monotonic_ns()}'
    nodes = {'root': {'id': 'root', 'parent': None, 'children': [], 'message': None}}
    parent = 'root'
    for i, text in enumerate(texts):
        nid = f'{conv_id}-{i}'
        nodes[nid] = {
            'id': nid,
            'parent': parent,
            'children': [],
            'message': {
                'id': nid,
                'author': {'role': 'user' if i % 2 == 0 else 'assistant'},
                'create_time': when + i,
                'content': {'content_type': 'text', 'parts': [text]},
                'metadata': {},
            },
        }
        nodes[parent]['children'].append(nid)
        parent = nid
    doc = [{'id': conv_id, 'title': title, 'create_time': when, 'mapping': nodes, 'current_node': parent}]
    report = _import(_write(tmp_path, doc))
    assert report is not None and report.errors == [] and report.skipped == 0
    conv = Conversation.get(Conversation.external_id == conv_id)
    assert Message.select().where(Message.conversation == conv.id).count() == len(texts)


# --------------------------------------------------------------------------- search and list URLs


@pytest.fixture
def searchable(db) -> None:
    outputs.capture_output(
        outputs.CaptureData(body='Use WAL mode and a busy timeout for many writers.', title='SQLite tips')
    )
    conv = conversations.create_conversation('Trip')
    conversations.add_message(conv, 'user', 'Plan a weekend in Lisbon — with "quotes" and AND OR NOT')
    settings_store.put(embeddings.MODEL_SETTING, 'builtin:hashing-384')  # instant vectors, no model load
    embeddings.index_pending()


queries = any_text | st.lists(
    st.sampled_from(
        [
            '"',
            '*',
            '-',
            'AND',
            'OR',
            'NOT',
            'NEAR(',
            ')',
            '(',
            ':',
            '^',
            'wal',
            'lisbon',
            '"wal',
            'title:x',
            '+',
            '\x00',
            '\ud800',
        ]
    ),
    max_size=8,
).map(' '.join)


@SETTINGS
@given(q=queries, mode=st.sampled_from(search.MODES))
def test_any_search_text_returns_results_or_one_sentence(searchable, q: str, mode: str) -> None:
    TALLY['searches'] += 1
    expr = search.fts_query(q)
    assert expr is None or isinstance(expr, str)
    try:
        hits = search.search(q, mode=mode, limit=10)
    except UserError as exc:
        assert str(exc).strip()
        return
    for hit in hits:
        assert '<' not in hit.snippet_html.replace('<mark>', '').replace('</mark>', '')


@SETTINGS
@given(
    query=st.dictionaries(
        st.sampled_from([f.name for f in ListParams.__dataclass_fields__.values()]) | any_text,
        any_text,
        max_size=6,
    )
)
def test_any_list_url_parses(query: dict[str, str]) -> None:
    params = ListParams.from_query(query)
    assert params.exclude_restricted is False  # never settable from a URL
    assert ListParams.from_query(params.to_query()) == params
