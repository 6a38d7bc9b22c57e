"""The demo profile opened from the running app: ``outputhub --demo`` as a child process of this one.

One process serves one SQLite file, so the demo cannot be switched to inside the app; instead Home's
"Open the demo" (this computer only) starts the same entry the ``outputhub`` command uses, with
``--demo --no-browser --host 127.0.0.1 --port <free port>``, on the same data folder (``demo.db`` there,
seeded on its first open). Its output goes to ``demo.log`` in the data folder, never to the terminal.
A second call reuses the running demo.

The child never outlives this process: ``stop()`` ends it when the app shuts down, and if this process
is killed outright (SIGKILL, a crash) the child's stdin — a pipe from here that nothing ever writes —
reaches end-of-file, and the child stops itself the same way Ctrl+C stops the app.

No NiceGUI here: the page calls ``launch`` off the event loop; the server's shutdown calls ``stop`` with the
other services (app/server.py SERVICE_MODULES).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .. import config
from ..errors import UserError

HOST = '127.0.0.1'
START_TIMEOUT = 60.0
LOG_NAME = 'demo.log'
# The child's own NiceGUI storage (capture drafts per browser): both apps share the browser's cookie on
# 127.0.0.1, so one folder would mix the demo's drafts with the real library's.
STORAGE_NAME = 'nicegui-demo'
# Set by a parent pytest or NiceGUI's simulated user: NiceGUI would make the child a test server.
_NOT_INHERITED = ('PYTEST_CURRENT_TEST', 'NICEGUI_USER_SIMULATION', 'NICEGUI_STORAGE_PATH')


@dataclass
class _Child:
    process: subprocess.Popen
    url: str
    log: IO[bytes]


_lock = threading.Lock()
_child: _Child | None = None


def log_path() -> Path:
    return config.data_dir() / LOG_NAME


def running_url() -> str | None:
    """The demo's address while the child started here is alive, else None."""
    child = _child
    return child.url if child is not None and child.process.poll() is None else None


def launch(timeout: float = START_TIMEOUT) -> str:
    """Start the demo profile (or reuse the one running) and return its address once it answers.

    Blocking (up to ``timeout`` seconds): call it off the event loop. Raises ``UserError`` with one
    sentence when the demo does not come up; the details are in ``demo.log``."""
    global _child
    with _lock:
        if _child is not None:
            if _child.process.poll() is None and _answers(_child.url):
                return _child.url
            _end(_child)  # it died (or hangs): start afresh
            _child = None
        child = _spawn()
        try:
            _wait_until_up(child, timeout)
        except BaseException:
            _end(child)
            raise
        _child = child
        return child.url


def stop(ctx: object = None) -> None:
    """End the demo child, if one runs (the app's shutdown stops it with the services; ``ctx`` unused):
    SIGTERM, then a kill after 10 s."""
    global _child
    with _lock:
        if _child is not None:
            _end(_child)
            _child = None


def command(port: int) -> list[str]:
    """The child's command line: this module as ``__main__`` (it adds the parent watch), then the
    ``outputhub`` command's own entry with these arguments."""
    return [
        sys.executable,
        '-m',
        'app.services.demo_profile',
        '--demo',
        '--no-browser',
        '--host',
        HOST,
        '--port',
        str(port),
    ]


def _spawn() -> _Child:
    port = _free_port()
    data = config.data_dir()
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env['OUTPUTHUB_DATA_DIR'] = str(data)  # the same data folder as this process, whatever picked it
    env['NICEGUI_STORAGE_PATH'] = str(data / STORAGE_NAME)
    env['PYTHONUNBUFFERED'] = '1'
    # readable by the user only, like everything in the data folder; closed when the child ends
    log = os.fdopen(os.open(log_path(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'wb')
    try:
        process = subprocess.Popen(
            command(port),
            cwd=str(config.PROJECT_ROOT),
            env=env,
            stdin=subprocess.PIPE,  # never written: its end-of-file tells the child this process is gone
            stdout=log,
            stderr=subprocess.STDOUT,
            # Ctrl+C in this app's terminal reaches this app only; it stops the child in its shutdown.
            start_new_session=os.name == 'posix',
            creationflags=getattr(subprocess, 'CREATE_NEW_PROCESS_GROUP', 0),
        )
    except OSError as exc:
        log.close()
        raise UserError(f'The demo profile could not be started: {exc.strerror or exc}.') from exc
    return _Child(process, f'http://{HOST}:{port}', log)


def _wait_until_up(child: _Child, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise UserError(f'The demo profile stopped while starting; its log is {log_path()}.')
        if _answers(child.url):
            return
        time.sleep(0.2)
    raise UserError(f'The demo profile did not start within {timeout:.0f} seconds; its log is {log_path()}.')


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + '/', timeout=5) as response:
            return response.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except (OSError, ValueError):
        return False


def _end(child: _Child) -> None:
    process = child.process
    if process.poll() is None:
        with contextlib.suppress(OSError):
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    child.log.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- in the child


def _watch_parent() -> None:
    """Stop this process (as Ctrl+C would: the app shuts down cleanly) once the parent is gone."""
    with contextlib.suppress(OSError, ValueError):
        sys.stdin.buffer.read()  # returns at end-of-file: the parent ended or closed the pipe
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(20)
    os._exit(1)  # a clean shutdown that hangs must not keep the demo alive


def _child_main(argv: list[str]) -> int:
    threading.Thread(target=_watch_parent, name='demo-parent-watch', daemon=True).start()
    from ..cli import main

    return main(argv)


if __name__ == '__main__':
    sys.exit(_child_main(sys.argv[1:]))
