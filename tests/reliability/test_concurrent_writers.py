"""20 writers at once — 10 threads in this process and 10 REST API clients of the running app — each
capture 200 outputs into the same database: every one of the 4,000 must be there, and not one
"database is locked" may reach a writer or the app's log."""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

import httpx

from app.data import access, outputs
from app.data import db as dbmod
from app.data.models import Output, OutputTag, Tag

from .conftest import integrity

THREADS = 10
API_CLIENTS = 10
PER_WRITER = 200
# Shared tag names and prompt texts: writers race to create the same lookup rows and prompt versions.
TAGS = ['reliability', 'shared-a', 'shared-b']


def _body(writer: str, i: int) -> str:
    return f'{writer} capture {i}: WAL lets many writers take turns without losing a row.'


def test_twenty_concurrent_writers_lose_nothing(start_app, tmp_path: Path, figure) -> None:
    db_path = tmp_path / 'writers.db'
    dbmod.connect(db_path)
    token = access.create_token('reliability writers', 'write').token
    dbmod.close()
    app = start_app(db_path=db_path, env={'OUTPUTHUB_AUTO_BACKUP': '0', 'OUTPUTHUB_HOUSEKEEPING': '0'})
    dbmod.connect(db_path)

    errors: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS + API_CLIENTS)

    def thread_writer(n: int) -> None:
        start.wait()
        for i in range(PER_WRITER):
            try:
                outputs.capture_output(
                    outputs.CaptureData(
                        body=_body(f'thread-{n}', i),
                        prompt=f'shared prompt {i % 7}',
                        tags=[TAGS[i % 3], f'thread-{n}'],
                        model='gpt-4o',
                    )
                )
            except Exception as exc:  # every failure is counted, the writer goes on
                with lock:
                    errors.append(f'thread-{n}: {type(exc).__name__}: {exc}')
        dbmod.current().close()  # this thread's connection

    def api_writer(n: int) -> None:
        headers = {'Authorization': f'Bearer {token}'}
        with httpx.Client(base_url=app.url, headers=headers, timeout=60) as client:
            start.wait()
            for i in range(PER_WRITER):
                t0 = time.perf_counter()
                try:
                    r = client.post(
                        '/api/v1/captures',
                        json={
                            'body': _body(f'api-{n}', i),
                            'prompt': f'shared prompt {i % 7}',
                            'tags': [TAGS[i % 3], f'api-{n}'],
                            'model': 'gpt-4o',
                        },
                    )
                    ok = r.status_code == 201
                    detail = '' if ok else f'{r.status_code} {r.text[:200]}'
                except httpx.HTTPError as exc:
                    ok, detail = False, f'{type(exc).__name__}: {exc}'
                with lock:
                    latencies.append(time.perf_counter() - t0)
                    if not ok:
                        errors.append(f'api-{n}: {detail}')

    workers = [threading.Thread(target=thread_writer, args=(n,)) for n in range(THREADS)]
    workers += [threading.Thread(target=api_writer, args=(n,)) for n in range(API_CLIENTS)]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=600)
    seconds = time.perf_counter() - t0

    expected = {_body(f'thread-{n}', i) for n in range(THREADS) for i in range(PER_WRITER)}
    expected |= {_body(f'api-{n}', i) for n in range(API_CLIENTS) for i in range(PER_WRITER)}
    stored = [o.body for o in Output.select(Output.body)]
    locked = [e for e in errors if 'locked' in e.lower()] + [
        line for line in app.log().splitlines() if 'database is locked' in line.lower()
    ]
    total = THREADS * PER_WRITER + API_CLIENTS * PER_WRITER
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000 if len(latencies) > 20 else 0.0
    figure(
        f'concurrent writers: {len(set(stored) & expected)}/{total} captures present, '
        f'{len(errors)} errors, {len(locked)} "database is locked", {seconds:.1f} s '
        f'({total / seconds:.0f} captures/s), API p95 {p95:.0f} ms'
    )
    assert not errors, errors[:5]
    assert not locked, locked[:5]
    assert len(stored) == total and set(stored) == expected  # every capture exactly once
    # the shared lookups were created once, not once per racing writer
    for k, name in enumerate(TAGS):
        tagged = OutputTag.select().join(Tag).where(Tag.name == name).count()
        assert tagged == sum(1 for i in range(PER_WRITER) if i % 3 == k) * (THREADS + API_CLIENTS)
    assert Tag.select().where(Tag.name.in_(TAGS)).count() == len(TAGS)
    dbmod.close()
    assert integrity(db_path) == 'ok'
