"""What the Chromium benchmarks share: a demo library topped up to a size, the app (and a bare NiceGUI
page to measure it against) served in subprocesses on free ports, Debian's Chromium through Playwright,
and the percentile they report.

Used by ``bench.palette``, ``bench.quick_capture``, ``bench.instant``, ``bench.mcp`` and
``bench/bench_graph_dashboard.py``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu']
VIEWPORT = {'width': 1280, 'height': 860}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 120, request_timeout: float = 10) -> None:
    """Until ``url`` answers; RuntimeError when ``proc`` exits first or ``timeout`` seconds pass."""
    import httpx

    deadline = time.time() + timeout
    while True:
        try:
            httpx.get(url, timeout=request_timeout)
            return
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise RuntimeError(f'{url}: the server exited ({proc.returncode})') from None
            if time.time() > deadline:
                raise RuntimeError(f'{url} did not answer within {timeout:.0f} s') from None
            time.sleep(0.3)


def top_up(path: Path, outputs: int, *, seed: int, conversations: int | None = None) -> float:
    """Open ``path`` (left open) and seed demo data until it holds ``outputs`` outputs; the seconds that took."""
    from app.data import db as dbmod
    from app.data import demo
    from app.data.models import Output

    dbmod.connect(path)
    have = Output.select().count()
    if have >= outputs:
        return 0.0
    start = time.perf_counter()
    demo.seed(outputs=outputs - have, conversations=conversations, seed=seed)
    return time.perf_counter() - start


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without pytest's markers, the data in ``data_dir``, no indexer and no
    automatic backups (plus ``extra``)."""
    env = {k: v for k, v in os.environ.items() if k not in ('PYTEST_CURRENT_TEST', 'NICEGUI_USER_SIMULATION')}
    env.update(OUTPUTHUB_DATA_DIR=str(data_dir), OUTPUTHUB_INDEXER='0', OUTPUTHUB_AUTO_BACKUP='0', **extra)
    return env


def start_app(db_path: Path, port: int, env: dict[str, str], **popen: object) -> subprocess.Popen:
    """``main.py`` on ``db_path`` at ``port``, its output discarded (unless ``popen`` says otherwise)."""
    popen = {'stdout': subprocess.DEVNULL, 'stderr': subprocess.DEVNULL, **popen}
    return subprocess.Popen(
        [sys.executable, str(ROOT / 'main.py'), '--db', str(db_path), '--port', str(port), '--no-browser'],
        env=env,
        **popen,  # type: ignore[arg-type]
    )


def stop(procs: list[subprocess.Popen], timeout: float = 30) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def app_and_bare(
    db_path: Path,
    data_dir: Path,
    bare_source: str,
    *,
    bare_name: str = 'bare_app.py',
    env: dict[str, str] | None = None,
    stop_timeout: float = 30,
    up_timeout: float = 120,
    request_timeout: float = 10,
) -> Iterator[tuple[str, str]]:
    """The app on ``db_path`` and the bare NiceGUI script ``bare_source`` (run in ``data_dir`` with its port
    as its one argument), both up; yields their base URLs (app, bare) and stops both afterwards."""
    env = env if env is not None else server_env(data_dir)
    app_port, bare_port = free_port(), free_port()
    bare_file = data_dir / bare_name
    bare_file.write_text(bare_source)
    procs = [
        start_app(db_path, app_port, env),
        subprocess.Popen(
            [sys.executable, str(bare_file), str(bare_port)],
            env=env,
            cwd=str(data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        app_url, bare_url = f'http://127.0.0.1:{app_port}', f'http://127.0.0.1:{bare_port}'
        wait_up(app_url + '/', procs[0], up_timeout, request_timeout)
        wait_up(bare_url + '/', procs[1], up_timeout, request_timeout)
        yield app_url, bare_url
    finally:
        stop(procs, stop_timeout)


def launch_chromium(pw, args: list[str] | None = None, **kwargs):
    """Debian's Chromium through a ``sync_playwright()`` handle."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=args or CHROMIUM_ARGS, **kwargs)


def p95(values: list[float]) -> float:
    """The value 95 % of the way up the sorted list (nearest rank, not interpolated)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def print_result(result: dict, as_json: bool) -> None:
    """One JSON line, or one ``key value`` line a figure."""
    if as_json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f'{key:28} {value}')
