"""The demo profile started from the running app (app/services/demo_profile.py): a real ``outputhub
--demo`` child on the test's own data folder, answering on a loopback port with the DEMO badge, reused on
a second call, stopped on request — and gone when its parent is killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from app import config
from app.services import demo_profile
from tests.waits import wait_until


@pytest.fixture
def demo() -> Iterator[ModuleType]:
    yield demo_profile
    demo_profile.stop()


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        return response.read().decode()


def test_the_demo_child_starts_answers_is_reused_and_stops(
    demo: ModuleType, _isolated_data_dir: Path
) -> None:
    assert config.data_dir() == _isolated_data_dir  # never the real user data folder
    url = demo.launch()
    assert url.startswith('http://127.0.0.1:')
    page = _get(url + '/')
    assert '"DEMO"' in page or '>DEMO<' in page  # the header's badge: the demo profile, not the library
    assert (_isolated_data_dir / 'demo.db').is_file()
    assert not (_isolated_data_dir / 'outputhub.db').exists()  # the child opened the demo database only
    log = (_isolated_data_dir / 'demo.log').read_text()
    assert 'demo.db (demo)' in log  # its output went to the log, not to this terminal
    process = demo_profile._child.process

    assert demo.launch() == url  # a second click reuses the running demo
    assert demo_profile._child.process is process

    demo.stop()
    assert process.poll() is not None
    assert demo_profile.running_url() is None
    with pytest.raises(OSError):
        _get(url + '/')


PARENT = """
import sys, time
from app.services import demo_profile
url = demo_profile.launch()
print(demo_profile._child.process.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(os.name != 'posix', reason='SIGKILL')
def test_the_demo_child_does_not_outlive_a_killed_parent(_isolated_data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != 'PYTEST_CURRENT_TEST'}
    parent = subprocess.Popen(
        [sys.executable, '-c', PARENT],
        cwd=str(config.PROJECT_ROOT),
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    child_pid = 0
    try:
        child_pid = int(parent.stdout.readline())
        parent.send_signal(signal.SIGKILL)  # no shutdown hook runs
        parent.wait(timeout=10)
        wait_until(lambda: not _alive(child_pid), timeout=15, what='the orphaned demo stopping')
    finally:
        if parent.poll() is None:
            parent.kill()
        if _alive(child_pid):
            os.kill(child_pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a child of this test's parent, reparented to init: gone once reaped, or a zombie meanwhile
    try:
        with open(f'/proc/{pid}/stat') as fh:
            return fh.read().split(') ')[1][0] != 'Z'
    except OSError:
        return True
