"""Hostile uploads (issue 14, item 5): a file built to exhaust the server — nesting bombs, zip bombs, a
lying zip directory, conversation trees shaped for quadratic walks, a big flat file — is refused in one
sentence (nothing written) or imported, with less than 500 MB extra memory and within 10 s per 10 MB.

Each import runs in its own process so its peak memory can be measured (and it can be killed before a
regression takes the machine down)."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXTRA_RSS_MB = 500
KILL_RSS_MB = 2 * EXTRA_RSS_MB  # a regression is stopped here, long before it hurts the machine
MB = 1024 * 1024

pytestmark = pytest.mark.skipif(not Path('/proc/self/status').exists(), reason='reads /proc (Linux)')

# The import as the Import page and `outputhub import` run it, in a fresh process that reports its memory
# before and its peak during the import (KB, from /proc) and what the database holds afterwards.
CHILD = r"""
import json, sys, time
from pathlib import Path
from app.data import db
from app.data.importers import import_path
from app.data.models import Conversation, ImportRun, Message
from app.errors import UserError

def status(key):
    for line in Path('/proc/self/status').read_text().splitlines():
        if line.startswith(key + ':'):
            return int(line.split()[1])

db.connect(sys.argv[1])
Path('/proc/self/clear_refs').write_text('5')  # the peak (VmHWM) counts from here: the import's own
base = status('VmRSS')
print(json.dumps({'base_kb': base}), flush=True)
started = time.monotonic()
try:
    outcome, text = 'imported', import_path(sys.argv[2]).summary()
except UserError as exc:
    outcome, text = 'refused', str(exc)
seconds = time.monotonic() - started
print(json.dumps({
    'outcome': outcome, 'text': text, 'seconds': seconds, 'peak_kb': status('VmHWM'), 'base_kb': base,
    'conversations': Conversation.select().count(), 'messages': Message.select().count(),
    'runs': ImportRun.select().count(),
}), flush=True)
"""


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f'/proc/{pid}/status').read_text().splitlines():
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_import(path: Path, db_file: Path) -> dict:
    """Import ``path`` into ``db_file`` in a child process; fails the test if it outgrows the limits."""
    budget = 10.0 * max(1.0, path.stat().st_size / (10 * MB))  # 10 s per 10 MB, at least 10 s
    log = db_file.with_suffix('.stderr')
    with log.open('w') as err:  # a file, not a pipe: a chatty import never blocks on a full pipe
        proc = subprocess.Popen(
            [sys.executable, '-c', CHILD, str(db_file), str(path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    try:
        first = proc.stdout.readline()
        assert first, f'the import process died at start: {log.read_text()[-2000:]}'
        base_kb = json.loads(first)['base_kb']
        started = time.monotonic()
        peak_kb = 0
        while proc.poll() is None:
            peak_kb = max(peak_kb, _rss_kb(proc.pid))
            elapsed = time.monotonic() - started
            if (peak_kb - base_kb) > KILL_RSS_MB * 1024 or elapsed > 2 * budget + 10:
                proc.kill()
                proc.wait()
                pytest.fail(
                    f'{path.name}: killed after {elapsed:.1f} s at {(peak_kb - base_kb) / 1024:.0f} MB '
                    f'extra memory (limits: {EXTRA_RSS_MB} MB, {budget:.0f} s)'
                )
            time.sleep(0.02)
        out = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    lines = [line for line in out.splitlines() if line.startswith('{')]
    assert proc.returncode == 0 and lines, f'{path.name}: the import crashed: {log.read_text()[-2000:]}'
    result = json.loads(lines[-1])
    result['extra_mb'] = (result['peak_kb'] - result['base_kb']) / 1024
    result['budget'] = budget
    result['size_mb'] = path.stat().st_size / MB
    return result


# --------------------------------------------------------------------------- hostile files


def _write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def bracket_bomb(tmp: Path, depth: int = 100_000) -> Path:
    return _write(tmp / 'brackets.json', '[' * depth + ']' * depth)


def object_bomb(tmp: Path, depth: int = 100_000) -> Path:
    return _write(tmp / 'objects.json', '{"a":' * depth + '1' + '}' * depth)


def bomb_in_export(tmp: Path, depth: int = 100_000) -> Path:
    """A real-looking ChatGPT export whose one message metadata hides the bomb, after a valid head."""
    head = json.dumps([_conversation('ok', _chain(3))])[:-1]
    bomb = '{"id": "b", "mapping": {}, "metadata": ' + '[' * depth + ']' * depth + '}'
    return _write(tmp / 'nested-export.json', head + ', ' + bomb + ']')


def _msg(i: int, role: str = 'user', text: str | None = None) -> dict:
    return {
        'id': f'm{i}',
        'author': {'role': role},
        'content': {'content_type': 'text', 'parts': [text if text is not None else f'message {i}']},
        'create_time': 1_700_000_000 + i,
    }


def _conversation(cid: str, mapping: dict, current: str | None = None) -> dict:
    return {
        'id': cid,
        'title': cid,
        'create_time': 1_700_000_000,
        'mapping': mapping,
        'current_node': current,
    }


def _chain(n: int) -> dict:
    mapping, parent = {}, None
    for i in range(n):
        mapping[f'n{i}'] = {'parent': parent, 'message': _msg(i, 'user' if i % 2 else 'assistant')}
        parent = f'n{i}'
    return mapping


def chatgpt_trees(tmp: Path, n: int = 8000) -> Path:
    """One 8k-message linear chain and one 8k-wide fan under a single root."""
    wide = {'root': {'parent': None, 'message': None}}
    wide.update({f'w{i}': {'parent': 'root', 'message': _msg(i)} for i in range(n)})
    convs = [_conversation('chain', _chain(n), f'n{n - 1}'), _conversation('wide', wide, 'w0')]
    return _write(tmp / 'chatgpt-trees.json', json.dumps(convs))


def chatgpt_empty_spine(tmp: Path, n: int = 8000) -> Path:
    """An 8k chain of nodes without a message, one message hanging off each: every message's walk to its
    nearest ancestor with a message crossed the whole chain (quadratic)."""
    mapping, parent = {}, None
    for i in range(n):
        mapping[f's{i}'] = {'parent': parent, 'message': None}
        mapping[f'l{i}'] = {'parent': f's{i}', 'message': _msg(i)}
        parent = f's{i}'
    return _write(tmp / 'chatgpt-spine.json', json.dumps([_conversation('spine', mapping, f'l{n - 1}')]))


def flat_export(tmp: Path, size: int = 50 * MB) -> Path:
    """About 50 MB of plain, valid ChatGPT conversations (4 KB each)."""
    path = tmp / 'flat.json'
    with path.open('w') as fh:
        fh.write('[')
        i, written = 0, 0
        while written < size:
            text = f'conversation {i} ' + 'lorem ipsum dolor sit amet ' * 70
            mapping = {'a': {'parent': None, 'message': _msg(0, 'user', text)}}
            mapping['b'] = {'parent': 'a', 'message': _msg(1, 'assistant', text)}
            chunk = ('' if i == 0 else ', ') + json.dumps(_conversation(f'c{i}', mapping, 'b'))
            fh.write(chunk)
            written += len(chunk)
            i += 1
        fh.write(']')
    return path


def huge_message(tmp: Path, size: int = 50 * MB) -> Path:
    """One conversation whose one message is one long string (50 MB: refused; 30 MB: imported)."""
    mapping = {'a': {'parent': None, 'message': _msg(0, 'user', 'word ' * (size // 5))}}
    return _write(tmp / f'message-{size // MB}mb.json', json.dumps([_conversation('huge', mapping, 'a')]))


def _zip(path: Path, entries: list[tuple[str, bytes, int | None]]) -> Path:
    """A zip written by hand, so one compressed stream serves many entries (a 1.8 GB bomb is built in a
    fraction of a second) and a member's declared size can lie (``declared`` overrides the real one)."""
    local, central = bytearray(), bytearray()
    packed_cache: dict[int, tuple[bytes, int]] = {}
    for name, data, declared in entries:
        if id(data) not in packed_cache:
            comp = zlib.compressobj(9, zlib.DEFLATED, -15)
            packed_cache[id(data)] = (comp.compress(data) + comp.flush(), zlib.crc32(data))
        packed, crc = packed_cache[id(data)]
        size = len(data) if declared is None else declared
        raw_name = name.encode()
        offset = len(local)
        fields = (20, 0, 8, 0, 0, crc, len(packed), size, len(raw_name))
        local += struct.pack('<IHHHHHIIIHH', 0x04034B50, *fields, 0) + raw_name + packed
        central += (
            struct.pack('<IHHHHHHIIIHHHHHII', 0x02014B50, 20, *fields, 0, 0, 0, 0, 0, offset) + raw_name
        )
    end = struct.pack('<IHHHHIIH', 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(local), 0)
    path.write_bytes(bytes(local + central + end))
    return path


def _padded_export(size: int) -> bytes:
    """A valid ChatGPT export of ``size`` bytes that compresses about 1000x (one long message)."""
    head = json.dumps([_conversation('z', {'a': {'parent': None, 'message': _msg(0, 'user', '')}}, 'a')])
    cut = head.index('"parts": [""') + len('"parts": ["')
    return (head[:cut] + 'z' * (size - len(head)) + head[cut:]).encode()


def zip_bomb(tmp: Path) -> Path:
    """30 conversations-NNN.json of 60 MB each (1.8 GB) in a ~2 MB zip: each entry under the old limit."""
    data = _padded_export(60 * MB)
    return _zip(tmp / 'bomb.zip', [(f'conversations-{i:03}.json', data, None) for i in range(30)])


def zip_one_big(tmp: Path) -> Path:
    return _zip(tmp / 'one-big.zip', [('conversations.json', _padded_export(100 * MB), None)])


def zip_lying(tmp: Path) -> Path:
    """The directory says 1 KB, the member inflates to 100 MB."""
    return _zip(tmp / 'lying.zip', [('conversations.json', _padded_export(100 * MB), 1024)])


HOSTILE: list[tuple[str, Callable[[Path], Path], str]] = [
    ('bracket bomb', bracket_bomb, 'refused'),
    ('object bomb', object_bomb, 'refused'),
    ('bomb in an export', bomb_in_export, 'refused'),
    ('zip bomb', zip_bomb, 'refused'),
    ('one huge zip member', zip_one_big, 'refused'),
    ('lying zip directory', zip_lying, 'refused'),
    ('chatgpt chain and wide trees', chatgpt_trees, 'imported'),
    ('chatgpt empty spine', chatgpt_empty_spine, 'imported'),
    ('flat 50 MB export', flat_export, 'imported'),
    ('one 50 MB message', huge_message, 'refused'),
    ('one 30 MB message', lambda tmp: huge_message(tmp, 30 * MB), 'imported'),
]


@pytest.mark.parametrize(('label', 'build', 'expected'), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_upload_is_refused_or_imported_within_memory_and_time(
    tmp_path: Path, figure: Callable[[str], None], label: str, build: Callable[[Path], Path], expected: str
) -> None:
    path = build(tmp_path)
    db_file = tmp_path / 'hub.db'
    result = run_import(path, db_file)
    figure(
        f'hostile upload {label}: {result["size_mb"]:.2f} MB file, {result["outcome"]}, '
        f'{result["extra_mb"]:.0f} MB extra peak RSS, {result["seconds"]:.2f} s'
    )
    assert result['outcome'] == expected, result['text']
    assert result['extra_mb'] < EXTRA_RSS_MB, result
    assert result['seconds'] < result['budget'], result
    if expected == 'refused':
        text = result['text'].strip()
        assert text and '\n' not in text, text  # one sentence
        assert (result['conversations'], result['messages'], result['runs']) == (0, 0, 0), 'it wrote'
    else:
        assert result['conversations'] >= 1 and 'skipped' not in result['text'], result['text']
