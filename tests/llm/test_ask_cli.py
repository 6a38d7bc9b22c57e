"""``outputhub ask`` against the fake server: streams, stores, --json, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.data.models import Conversation, Message, ProviderSetting

from .fake_llm_server import DEFAULT_REPLY, FAKE_MODEL, Script

ROOT = Path(__file__).resolve().parents[2]


def ask(capsys, db_path: Path, *argv: str) -> tuple[int, str, str]:
    code = main(['ask', '--db', str(db_path), *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_ask_streams_the_answer_and_stores_the_exchange(
    chat_env: dict[str, Any], db_path: Path, capsys
) -> None:
    code, out, err = ask(capsys, db_path, 'What is WAL?', '--provider', 'openai', '--model', FAKE_MODEL)
    assert code == 0, err
    assert out == DEFAULT_REPLY + '\n'
    conv = Conversation.select().order_by(Conversation.id.desc()).first()
    assert [
        m.content for m in Message.select().where(Message.conversation == conv.id).order_by(Message.id)
    ] == [
        'What is WAL?',
        DEFAULT_REPLY,
    ]


def test_ask_json_and_continue(chat_env: dict[str, Any], db_path: Path, capsys) -> None:
    code, out, _ = ask(capsys, db_path, 'First', '--provider', 'anthropic', '--model', FAKE_MODEL, '--json')
    assert code == 0
    data = json.loads(out)
    assert set(data) == {'conversation_id', 'message_id', 'text', 'input_tokens', 'output_tokens', 'cost'}
    assert data['text'] == DEFAULT_REPLY and data['input_tokens'] == 1 and data['cost'] > 0
    chat_env['server'].enqueue(Script(text='Second answer.'))
    code, out, _ = ask(capsys, db_path, 'Second', '--continue', str(data['conversation_id']), '--json')
    again = json.loads(out)
    assert code == 0 and again['conversation_id'] == data['conversation_id']
    assert again['text'] == 'Second answer.'
    assert chat_env['server'].chat_requests()[-1].protocol == 'anthropic'  # the conversation's model again
    assert Message.get_by_id(again['message_id']).parent.parent_id == data['message_id']


def test_ask_with_an_agent_and_stdin(chat_env: dict[str, Any], db_path: Path, capsys, monkeypatch) -> None:
    import io

    from app.data import agents

    agent = agents.create_agent('Poet', 'Answer in verse.', model=chat_env['openai_model'].id)
    monkeypatch.setattr(sys, 'stdin', io.StringIO('A prompt from stdin'))
    code, out, _ = ask(capsys, db_path, '-', '--agent', str(agent.id), '--json')
    assert code == 0
    body = chat_env['server'].chat_requests()[-1].body
    assert body['messages'] == [
        {'role': 'system', 'content': 'Answer in verse.'},
        {'role': 'user', 'content': 'A prompt from stdin'},
    ]


@pytest.mark.parametrize(
    ('script', 'message'),
    [
        (
            Script(error='unauthorized'),
            'outputhub: error: OpenAI rejected the API key (401): check the key in Settings → Providers.',
        ),
        (
            Script(error='rate_limit', retry_after='3'),
            'outputhub: error: OpenAI is rate limiting requests (429); try again in 3 seconds.',
        ),
        (
            Script(disconnect_after=2),
            'outputhub: error: The connection to OpenAI dropped before the reply finished.',
        ),
    ],
)
def test_ask_errors_are_one_line(
    chat_env: dict[str, Any], db_path: Path, capsys, script: Script, message: str
) -> None:
    chat_env['server'].enqueue(script)
    code, out, err = ask(capsys, db_path, 'Hi', '--provider', 'openai', '--model', FAKE_MODEL)
    assert code == 2
    assert err.strip() == message
    assert 'Traceback' not in err


def test_ask_refuses_past_the_cap(chat_env: dict[str, Any], db_path: Path, capsys) -> None:
    ProviderSetting.update(monthly_cap=0.0).where(ProviderSetting.provider == chat_env['openai'].id).execute()
    code, out, err = ask(capsys, db_path, 'Hi', '--provider', 'openai', '--model', FAKE_MODEL)
    assert code == 2 and out == ''
    assert err.startswith('outputhub: error: OpenAI has reached its monthly spending cap ($0.00 of $0.00')
    assert err.count('\n') == 1


def test_ask_a_local_endpoint_in_a_real_process(fake_llm, tmp_path: Path) -> None:
    """The installed command path end to end: a fresh process, an Ollama-style base URL, no key."""
    env = {**os.environ, 'OUTPUTHUB_LLM_MAX_RETRIES': '0', 'PYTHONPATH': str(ROOT)}
    env.pop('OPENAI_API_KEY', None)
    db = tmp_path / 'cli.db'
    proc = subprocess.run(
        [
            sys.executable,
            '-m',
            'app.cli',
            'ask',
            'Hello local',
            '--db',
            str(db),
            '--model',
            'llama3.1:8b',
            '--base-url',
            fake_llm.openai_url,
            '--json',
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data['text'] == DEFAULT_REPLY and data['cost'] == 0.0
    proc = subprocess.run(
        [
            sys.executable,
            '-m',
            'app.cli',
            'ask',
            'Hello',
            '--db',
            str(db),
            '--provider',
            'openai',
            '--model',
            'gpt-4o',
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        'outputhub: error: There is no API key for OpenAI: add one in Settings → Providers or set OPENAI_API_KEY.'
    )


def test_keys_commands(db_path: Path, capsys, monkeypatch) -> None:
    import io

    from app.llm import keys

    def run(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, 'stdin', io.StringIO(stdin))
        code = main(['keys', *argv, '--db', str(db_path)])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = run('set', 'openai', stdin='sk-cli-stored-key-abcd1234\n')
    assert code == 0 and out.startswith('Stored the key for OpenAI (sk-…1234) in ')
    assert 'sk-cli-stored-key-abcd1234' not in out
    code, out, _ = run('cap', 'openai', '12.5')
    assert out == 'OpenAI: monthly cap $12.50.\n'
    code, out, _ = run(
        'endpoint', 'local', '--base-url', 'http://localhost:1234/v1', '--default-model', 'qwen3'
    )
    assert out == 'Local: base URL http://localhost:1234/v1, default model qwen3.\n'
    code, out, _ = run('list', '--json')
    rows = {r['provider']: r for r in json.loads(out)}
    assert rows['OpenAI']['key'] == 'sk-…1234' and rows['OpenAI']['key_source'] == 'stored'
    assert rows['OpenAI']['monthly_cap'] == 12.5 and rows['OpenAI']['spend_this_month'] == 0
    assert rows['Local']['base_url'] == 'http://localhost:1234/v1' and rows['Local']['key'] is None
    assert b'sk-cli-stored-key' not in db_path.read_bytes()
    code, out, _ = run('clear', 'openai')
    assert code == 0 and keys.provider_key_display(1) == 'not set'
    code, _, err = run('cap', 'openai', 'lots')
    assert code == 2 and err == (
        'outputhub: error: \'lots\' is not an amount in USD (leave it empty or "none" for no cap).\n'
    )
    code, _, err = run('set', 'nobody', stdin='x\n')
    assert code == 2 and err.startswith("outputhub: error: There is no provider called 'nobody'")


@pytest.mark.parametrize('usd', ['nan', 'NaN', 'inf', 'Infinity', '1e999', '$-5'])
def test_keys_cap_refuses_what_the_settings_page_refuses(db_path: Path, capsys, usd: str) -> None:
    """A cap that can never trigger (nan, inf) or is negative is refused with the page's sentence; the
    cap that was set stays."""
    from app.data.models import ProviderSetting

    assert main(['keys', 'cap', 'openai', '20', '--db', str(db_path)]) == 0
    capsys.readouterr()
    code = main(['keys', 'cap', 'openai', usd, '--db', str(db_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith('outputhub: error: ') and err.count('\n') == 1
    assert 'amount in USD' in err or 'cannot be negative' in err
    assert [s.monthly_cap for s in ProviderSetting.select().where(ProviderSetting.provider == 1)] == [20.0]


@pytest.mark.parametrize(
    'url', ['ftp://example.com/v1', 'file:///etc/passwd', 'javascript:alert(1)', 'localhost']
)
def test_keys_endpoint_refuses_an_address_that_is_not_http(db_path: Path, capsys, url: str) -> None:
    from app.data.models import Provider, ProviderSetting

    code = main(['keys', 'endpoint', 'local', '--base-url', url, '--db', str(db_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith('outputhub: error: ') and 'is not a web address' in err
    local = Provider.get(Provider.name == 'Local')
    setting = ProviderSetting.get_or_none(ProviderSetting.provider == local.id)
    assert setting is None or setting.base_url is None
