"""Import throughput of every format on generated data of the same size, beside the ChatGPT importer measured
in the same run, and a session-watch pass over unchanged files.

    .venv/bin/python -m bench.importers                        # 2,000 conversations of each format, 1,000 watched files
    .venv/bin/python -m bench.importers --conversations 200 --formats chatgpt,codex --watch-files 200
    .venv/bin/python -m bench.importers --profile claude_code   # where the time goes (needs pyinstrument)

Goals (issue 19): the 2,000-conversation ChatGPT export in <= 20 s; >= 2,500 messages/s for each new format;
a watch pass over 1,000 unchanged session files <= 1 s. The machine is shared: each figure comes with its
CPU seconds (this process's own work) and its ratio to the ChatGPT baseline of the same run, which is
imported first and again last (the two show how much the load moved meanwhile).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chatgpt_export_factory import _text, write_export  # noqa: E402

T0 = 1_767_225_600  # 2026-01-01


def _iso(seconds: float) -> str:
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds)) + f'.{int(seconds * 1000) % 1000:03d}Z'


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128)))


def _dump(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding='utf-8')


def _jsonl(path: Path, records: list[dict]) -> None:
    path.write_text(''.join(json.dumps(r, ensure_ascii=False) + '\n' for r in records), encoding='utf-8')


# --------------------------------------------------------------------------- generators
# Each writes ``n`` conversations of about ``turns`` exchanges into ``out`` and returns the path to import.
# Sizes follow the ChatGPT factory: answers about 600 characters, prompts about 150.


def gen_chatgpt(out: Path, n: int, rng: random.Random) -> Path:
    path = out / 'conversations.json'
    write_export(
        path, n, 24
    )  # 24 turns + a hidden system node, a regeneration every 10th: ~25 a conversation
    return path


def gen_claude_code(out: Path, n: int, rng: random.Random) -> Path:
    """~/.claude/projects: per turn a prompt, one API message over three lines (thinking, text, tool call),
    the tool result, the answer: 5 messages a turn."""
    root = out / 'projects'
    for i in range(n):
        project = root / f'-home-me-code-project{i % 20}'
        project.mkdir(parents=True, exist_ok=True)
        sid = _id(rng)
        t = T0 + i * 3600.0
        base = {'isSidechain': False, 'userType': 'external', 'cwd': f'/home/me/code/project{i % 20}'}
        base |= {'sessionId': sid, 'version': '2.1.40', 'gitBranch': 'main'}
        recs: list[dict] = []
        parent = None

        def rec(kind: str, **extra) -> dict:
            nonlocal parent, t
            t += rng.uniform(1, 20)
            r = {**base, 'parentUuid': parent, 'type': kind, 'uuid': _id(rng), 'timestamp': _iso(t), **extra}  # noqa: B023 - called in this iteration only
            parent = r['uuid']
            recs.append(r)  # noqa: B023
            return r

        for turn in range(5):
            rec('user', message={'role': 'user', 'content': _text(rng, 150)})
            mid = f'msg_{rng.getrandbits(64):016x}'
            usage = {'input_tokens': 12, 'cache_read_input_tokens': 9000, 'output_tokens': 300}

            def api(block: dict, mid=mid, usage=usage) -> dict:
                msg = {'model': 'claude-sonnet-4-5', 'id': mid, 'type': 'message', 'role': 'assistant'}
                return rec('assistant', message={**msg, 'content': [block], 'usage': usage}, requestId='req')

            api({'type': 'thinking', 'thinking': _text(rng, 300), 'signature': 'x'})
            api({'type': 'text', 'text': _text(rng, 300)})
            tool = f'toolu_{turn}_{rng.getrandbits(32):08x}'
            api({'type': 'tool_use', 'id': tool, 'name': 'Bash', 'input': {'command': 'pytest -x -q'}})
            rec('progress', data={'type': 'bash_progress', 'output': 'running'})
            content = [{'type': 'tool_result', 'tool_use_id': tool, 'content': _text(rng, 400)}]
            rec('user', message={'role': 'user', 'content': content})
            api2 = {'model': 'claude-sonnet-4-5', 'id': f'msg_{rng.getrandbits(64):016x}', 'type': 'message'}
            api2 |= {
                'role': 'assistant',
                'content': [{'type': 'text', 'text': _text(rng, 600)}],
                'usage': usage,
            }
            rec('assistant', message=api2, requestId='req')
        _jsonl(project / f'{sid}.jsonl', recs)
    return root


def gen_codex(out: Path, n: int, rng: random.Random) -> Path:
    """~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl: per turn the prompt, a reasoning summary, a function call
    and its output, the answer (the prompt and answer also as events, stored once), a token count."""
    root = out / 'sessions'
    for i in range(n):
        t = T0 + i * 3600.0
        day = root / time.strftime('%Y/%m/%d', time.gmtime(t))
        day.mkdir(parents=True, exist_ok=True)
        sid = _id(rng)
        recs = []

        def env(kind: str, payload: dict) -> None:
            nonlocal t
            t += rng.uniform(1, 10)
            recs.append({'timestamp': _iso(t), 'type': kind, 'payload': payload})  # noqa: B023 - called in this iteration only

        env(
            'session_meta',
            {'id': sid, 'timestamp': _iso(t), 'cwd': f'/home/me/code/p{i % 20}', 'cli_version': '0.80'},
        )
        env('turn_context', {'model': 'gpt-5.3-codex', 'cwd': f'/home/me/code/p{i % 20}'})
        for turn in range(5):
            prompt = _text(rng, 150)
            env(
                'response_item',
                {'type': 'message', 'role': 'user', 'content': [{'type': 'input_text', 'text': prompt}]},
            )
            env('event_msg', {'type': 'user_message', 'message': prompt})
            summary = [{'type': 'summary_text', 'text': _text(rng, 200)}]
            env('response_item', {'type': 'reasoning', 'summary': summary})
            call = f'call_{turn}_{rng.getrandbits(32):08x}'
            args = json.dumps({'command': ['bash', '-lc', 'pytest -q']})
            env(
                'response_item',
                {'type': 'function_call', 'name': 'shell', 'arguments': args, 'call_id': call},
            )
            output = json.dumps({'output': _text(rng, 400), 'metadata': {'exit_code': 0}})
            env('response_item', {'type': 'function_call_output', 'call_id': call, 'output': output})
            answer = _text(rng, 600)
            content = [{'type': 'output_text', 'text': answer}]
            env('response_item', {'type': 'message', 'role': 'assistant', 'content': content})
            env('event_msg', {'type': 'agent_message', 'message': answer})
            usage = {'input_tokens': 9000, 'cached_input_tokens': 8000, 'output_tokens': 300}
            env('event_msg', {'type': 'token_count', 'info': {'last_token_usage': usage}})
        _jsonl(day / f'rollout-{time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime(t))}-{sid}.jsonl', recs)
    return root


def gen_gemini_cli(out: Path, n: int, rng: random.Random) -> Path:
    """~/.gemini/tmp/<hash>/chats/session-*.json: per turn the prompt and a reply with a thought and a tool
    call (its result): 5 messages a turn."""
    root = out / 'tmp'
    for i in range(n):
        chats = root / f'{rng.getrandbits(64):016x}' / 'chats'
        chats.mkdir(parents=True, exist_ok=True)
        t = T0 + i * 3600.0
        messages = []
        for turn in range(5):
            t += 10
            messages.append(
                {'id': _id(rng), 'timestamp': _iso(t), 'type': 'user', 'content': _text(rng, 150)}
            )
            call = {
                'id': f'call-{turn}',
                'name': 'run_shell_command',
                'args': {'command': 'pytest -q'},
                'result': [{'functionResponse': {'response': {'output': _text(rng, 400)}}}],
                'status': 'success',
                'timestamp': _iso(t + 3),
            }
            thought = {'subject': 'Checking', 'description': _text(rng, 200), 'timestamp': _iso(t + 1)}
            messages.append(
                {
                    'id': _id(rng),
                    'timestamp': _iso(t + 5),
                    'type': 'gemini',
                    'content': _text(rng, 600),
                    'thoughts': [thought],
                    'toolCalls': [call],
                    'tokens': {'input': 9000, 'output': 300, 'cached': 8000, 'thoughts': 100, 'total': 9400},
                    'model': 'gemini-3-pro-preview',
                }
            )
        session = {
            'sessionId': _id(rng),
            'projectHash': f'{rng.getrandbits(128):032x}',
            'startTime': _iso(T0 + i * 3600.0),
            'lastUpdated': _iso(t),
            'messages': messages,
        }
        _dump(chats / f'session-{i:05d}.json', session)
    return root


def gen_grok(out: Path, n: int, rng: random.Random) -> Path:
    convs = []
    for i in range(n):
        t = (T0 + i * 3600) * 1000
        responses, parent = [], None
        for k in range(25):
            rid = _id(rng)
            human = k % 2 == 0
            body = {'_id': rid, 'parent_response_id': parent, 'sender': 'human' if human else 'assistant'}
            body |= {
                'message': _text(rng, 150 if human else 600),
                'create_time': {'$date': {'$numberLong': str(t)}},
            }
            if not human:
                body['model'] = 'grok-4'
            responses.append({'response': body, 'share_link': None})
            parent, t = rid, t + 15_000
        conv = {
            'id': _id(rng),
            'title': f'Grok {i}',
            'create_time': _iso(T0 + i * 3600),
            'leaf_response_id': parent,
        }
        convs.append({'conversation': conv, 'responses': responses})
    path = out / 'prod-grok-backend.json'
    _dump(path, {'conversations': convs, 'projects': [], 'tasks': []})
    return path


def gen_deepseek(out: Path, n: int, rng: random.Random) -> Path:
    """Per turn a REQUEST and a THINK + RESPONSE answer (3 messages); 8 turns and a greeting."""
    convs = []
    for i in range(n):
        t = T0 + i * 3600.0
        mapping = {'root': {'id': 'root', 'parent': None, 'children': [], 'message': None}}
        parent = 'root'
        for k in range(17):
            nid = str(k + 1)
            t += 12
            if k % 2 == 0:
                frags = [{'type': 'REQUEST', 'content': _text(rng, 150)}]
            else:
                frags = [
                    {'type': 'THINK', 'content': _text(rng, 200)},
                    {'type': 'RESPONSE', 'content': _text(rng, 600)},
                ]
            msg = {
                'model': 'deepseek-reasoner',
                'inserted_at': _iso(t).replace('Z', '+00:00'),
                'files': [],
                'fragments': frags,
            }
            mapping[nid] = {'id': nid, 'parent': parent, 'children': [], 'message': msg}
            mapping[parent]['children'].append(nid)
            parent = nid
        convs.append(
            {
                'id': _id(rng),
                'title': f'DeepSeek {i}',
                'inserted_at': _iso(T0 + i * 3600),
                'updated_at': _iso(t),
                'mapping': mapping,
            }
        )
    path = out / 'conversations.json'
    _dump(path, convs)
    return path


def gen_lechat(out: Path, n: int, rng: random.Random) -> Path:
    root = out / 'lechat'
    root.mkdir()
    for i in range(n):
        chat = _id(rng)
        t = T0 + i * 3600.0
        msgs = []
        for k in range(25):
            t += 10
            role = 'user' if k % 2 == 0 else 'assistant'
            msgs.append(
                {
                    'id': f'm{k}',
                    'version': 0,
                    'chatId': chat,
                    'role': role,
                    'content': _text(rng, 150 if role == 'user' else 600),
                    'contentChunks': None,
                    'createdAt': _iso(t),
                    'files': [],
                }
            )
        _dump(root / f'chat-{chat}.json', msgs)
    return root


def gen_perplexity(out: Path, n: int, rng: random.Random) -> Path:
    root = out / 'perplexity'
    root.mkdir()
    for i in range(n):
        entries = []
        for k in range(12):
            answer = {'intended_usage': 'ask_text', 'markdown_block': {'answer': _text(rng, 600)}}
            rows = [
                {
                    'citation': 1,
                    'status': 'SELECTED',
                    'web_result': {'name': 'Source', 'url': f'https://example.org/{i}/{k}'},
                }
            ]
            sources = {'intended_usage': 'sources_answer_mode', 'sources_mode_block': {'rows': rows}}
            entries.append(
                {
                    'uuid': _id(rng),
                    'backend_uuid': f'thread-{i}',
                    'thread_title': f'Thread {i}',
                    'query_str': _text(rng, 150),
                    'display_model': 'pplx_pro',
                    'entry_created_datetime': _iso(T0 + i * 3600 + k * 60),
                    'blocks': [answer, sources],
                }
            )
        meta = {'title': f'Thread {i}', 'created_at': _iso(T0 + i * 3600)}
        _dump(
            root / f'thread-{i}.json',
            {'status': 'success', 'has_next_page': False, 'thread_metadata': meta, 'entries': entries},
        )
    return root


def gen_aistudio(out: Path, n: int, rng: random.Random) -> Path:
    root = out / 'aistudio'
    root.mkdir()
    for i in range(n):
        chunks = []
        for _ in range(8):
            chunks.append({'role': 'user', 'text': _text(rng, 150), 'tokenCount': 40})
            chunks.append({'role': 'model', 'text': _text(rng, 200), 'isThought': True, 'tokenCount': 60})
            chunks.append({'role': 'model', 'text': _text(rng, 600), 'tokenCount': 150})
        _dump(
            root / f'chat {i}.json',
            {
                'runSettings': {'model': 'models/gemini-3-pro-preview'},
                'systemInstruction': {},
                'chunkedPrompt': {'chunks': chunks},
            },
        )
    return root


def gen_takeout(out: Path, n: int, rng: random.Random) -> Path:
    """One entry per prompt (its reply as HTML); 12 prompts a conversation, an hour between conversations."""
    entries = []
    for i in range(n):
        for k in range(12):
            html = f'<p>{_text(rng, 300)}</p><ul><li>{_text(rng, 150)}</li><li>{_text(rng, 150)}</li></ul>'
            entries.append(
                {
                    'header': 'Gemini Apps',
                    'title': f'Prompted {_text(rng, 150)}',
                    'time': _iso(T0 + i * 7200 + k * 120),
                    'products': ['Gemini Apps'],
                    'activityControls': ['Gemini Apps Activity'],
                    'safeHtmlItem': [{'html': html}],
                }
            )
    entries.reverse()  # newest first, as Takeout writes it
    path = out / 'MyActivity.json'
    _dump(path, entries)
    return path


GENERATORS: dict[str, Callable[[Path, int, random.Random], Path]] = {
    'chatgpt': gen_chatgpt,
    'claude_code': gen_claude_code,
    'codex': gen_codex,
    'gemini_cli': gen_gemini_cli,
    'grok': gen_grok,
    'deepseek': gen_deepseek,
    'lechat': gen_lechat,
    'perplexity': gen_perplexity,
    'aistudio': gen_aistudio,
    'gemini_takeout': gen_takeout,
}


# --------------------------------------------------------------------------- measuring


def import_once(fmt: str, source: Path, work: Path, tag: str) -> dict:
    from app.data import db
    from app.data.importers import import_path

    db_path = work / f'{fmt}-{tag}.db'
    db.connect(db_path)
    try:
        t, c = time.perf_counter(), time.process_time()
        report = import_path(source)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
    finally:
        db.close()
    for suffix in ('', '-wal', '-shm'):
        Path(f'{db_path}{suffix}').unlink(missing_ok=True)
    if report.format != fmt or report.errors or report.skipped:
        raise SystemExit(
            f'{fmt}: read as {report.format}, {report.skipped} skipped, errors {report.errors[:3]}'
        )
    return {
        'format': fmt,
        'conversations': report.conversations_added,
        'messages': report.messages_added,
        'wall_s': round(wall, 2),
        'cpu_s': round(cpu, 2),
        'msg_per_s': round(report.messages_added / wall) if wall else 0,
        'msg_per_cpu_s': round(report.messages_added / cpu) if cpu else 0,
    }


def watch_pass(work: Path, files: int, rounds: int) -> dict:
    """A pass over ``files`` unchanged Claude Code sessions after a first pass imported them, beside a bare
    directory walk with stat() of the same folder (what any pass has to pay)."""
    from app.data import db, session_watch

    folder = work / 'watched'
    folder.mkdir()
    gen_claude_code(folder, files, random.Random(11))
    db.connect(work / 'watch.db')
    try:
        watcher = session_watch.SessionWatcher([str(folder / 'projects')])
        first = watcher.run_once()
        times, walks = [], []
        for _ in range(rounds):
            t = time.perf_counter()
            result = watcher.run_once()
            times.append(time.perf_counter() - t)
            assert result.parses == 0 and result.files == files, result
            t = time.perf_counter()
            n = sum(
                1
                for dirpath, _, names in os.walk(folder / 'projects')
                for name in names
                if os.stat(os.path.join(dirpath, name))
            )
            walks.append(time.perf_counter() - t)
            assert n == files
        restarted = session_watch.SessionWatcher([str(folder / 'projects')])
        t = time.perf_counter()
        after_restart = restarted.run_once()
        restart_s = time.perf_counter() - t
    finally:
        db.close()
    return {
        'files': files,
        'first_pass_imported': len(first.imported),
        'first_pass_s': round(first.seconds, 2),
        'unchanged_pass_s_median': round(statistics.median(times), 3),
        'unchanged_pass_s_max': round(max(times), 3),
        'walk_and_stat_s_median': round(statistics.median(walks), 3),
        'pass_after_restart_s': round(restart_s, 3),
        'parses_after_restart': after_restart.parses,
    }


def profile(fmt: str, n: int) -> None:
    from pyinstrument import Profiler  # pip install pyinstrument (not a project dependency)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ['OUTPUTHUB_DATA_DIR'] = str(work / 'data')
        source = GENERATORS[fmt](work, n, random.Random(7))
        from app.data import db
        from app.data.importers import import_path

        db.connect(work / 'p.db')
        with Profiler() as prof:
            import_path(source)
        db.close()
        prof.print(show_all=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--conversations', type=int, default=2000)
    parser.add_argument(
        '--formats', default=','.join(GENERATORS), help='comma-separated (chatgpt is always run)'
    )
    parser.add_argument('--watch-files', type=int, default=1000)
    parser.add_argument('--watch-rounds', type=int, default=5)
    parser.add_argument('--profile', metavar='FORMAT', help='profile one format instead (needs pyinstrument)')
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args()
    if args.profile:
        profile(args.profile, args.conversations)
        return 0
    formats = [f for f in args.formats.split(',') if f and f != 'chatgpt']
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ['OUTPUTHUB_DATA_DIR'] = str(work / 'data')
        sources = {}
        for fmt in ['chatgpt', *formats]:
            folder = work / f'src-{fmt}'
            folder.mkdir()
            sources[fmt] = GENERATORS[fmt](folder, args.conversations, random.Random(7))
        rows.append({**import_once('chatgpt', sources['chatgpt'], work, 'first'), 'run': 'baseline, first'})
        for fmt in formats:
            rows.append(import_once(fmt, sources[fmt], work, 'x'))
        rows.append({**import_once('chatgpt', sources['chatgpt'], work, 'last'), 'run': 'baseline, last'})
        watch = watch_pass(work, args.watch_files, args.watch_rounds) if args.watch_files else None
    base = [r for r in rows if r['format'] == 'chatgpt']
    base_rate = statistics.mean(r['msg_per_s'] for r in base)
    base_cpu_rate = statistics.mean(r['msg_per_cpu_s'] for r in base)
    for r in rows:
        r['vs_chatgpt'] = round(r['msg_per_s'] / base_rate, 2) if base_rate else None
        r['vs_chatgpt_cpu'] = round(r['msg_per_cpu_s'] / base_cpu_rate, 2) if base_cpu_rate else None
    load = round(os.getloadavg()[0], 1)
    if args.json:
        print(json.dumps({'imports': rows, 'watch': watch, 'load_avg_1m': load, 'cpus': os.cpu_count()}))
        return 0
    head = f'{"format":<15}{"convs":>7}{"messages":>10}{"wall s":>9}{"cpu s":>8}{"msg/s":>8}{"msg/cpu s":>11}{"×chatgpt":>10}{"×cpu":>7}'
    print(head)
    for r in rows:
        print(
            f'{r["format"]:<15}{r["conversations"]:>7,}{r["messages"]:>10,}{r["wall_s"]:>9.2f}{r["cpu_s"]:>8.2f}'
            f'{r["msg_per_s"]:>8,}{r["msg_per_cpu_s"]:>11,}{r["vs_chatgpt"]:>10.2f}{r["vs_chatgpt_cpu"]:>7.2f}'
            + (f'  ({r["run"]})' if 'run' in r else '')
        )
    if watch:
        print()
        for k, v in watch.items():
            print(f'watch {k:<28} {v}')
    print(f'\nload average {load} on {os.cpu_count()} CPUs')
    slow = [r['format'] for r in rows if r['format'] != 'chatgpt' and r['msg_per_cpu_s'] < 2500]
    print(
        'goals by CPU time: '
        + ('new formats >= 2,500 msg/s' if not slow else f'BELOW 2,500 msg/s: {", ".join(slow)}')
    )
    return 0


if __name__ == '__main__':
    sys.exit(main())
