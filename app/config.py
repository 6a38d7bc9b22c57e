"""Settings: where data lives, which database is open, how the server binds. No UI, no DB."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

APP_NAME = 'outputhub'
APP_TITLE = 'Output Hub'
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = PROJECT_ROOT / 'assets'

_ON = frozenset({'1', 'on', 'true', 'yes'})
_OFF = frozenset({'0', 'off', 'false', 'no'})


def env_flag(name: str, default: bool) -> bool:
    """An on/off switch from the environment (``OUTPUTHUB_LAN=1``, ``OUTPUTHUB_INDEXER=off``): 1/on/true/yes
    or 0/off/false/no in any case; unset, empty or anything else means ``default``."""
    value = os.environ.get(name, '').strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    return default


def data_dir() -> Path:
    """The user data directory (``OUTPUTHUB_DATA_DIR`` overrides platformdirs), readable by the user only."""
    override = os.environ.get('OUTPUTHUB_DATA_DIR')
    path = Path(override).expanduser() if override else Path(platformdirs.user_data_dir(APP_NAME))
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def restrict_new_files() -> None:
    """Everything this process creates from now on is readable by the user only: the database and its
    WAL, backups, exports, NiceGUI's storage (it holds capture drafts in plain text)."""
    os.umask(0o077)


def make_private(*paths: str | Path) -> None:
    """Tighten files (0600) and folders (0700) made before ``restrict_new_files`` existed, e.g. a database
    an older version created 0644. Missing paths and paths of other users are left alone."""
    for path in paths:
        with contextlib.suppress(OSError):
            st = os.stat(path)
            if st.st_uid == os.getuid():
                wanted = 0o700 if stat.S_ISDIR(st.st_mode) else 0o600
                if stat.S_IMODE(st.st_mode) & 0o077:
                    os.chmod(path, stat.S_IMODE(st.st_mode) & wanted)


def default_db_path() -> Path:
    override = os.environ.get('OUTPUTHUB_DB')
    return Path(override).expanduser() if override else data_dir() / 'outputhub.db'


def demo_db_path() -> Path:
    return data_dir() / 'demo.db'


def read_or_create_secret(name: str, nbytes: int = 32) -> str:
    """A random secret kept in a file readable only by the user (created on first use)."""
    path = data_dir() / name
    if path.exists():
        value = path.read_text().strip()
        if value:
            return value
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as fh:
        fh.write(value)
    return value


@dataclass(frozen=True)
class Settings:
    """How this process runs. Built once by the CLI and passed down."""

    db_path: Path = field(default_factory=default_db_path)
    demo: bool = False
    host: str = '127.0.0.1'
    port: int = 8080
    show_browser: bool = True
    native: bool = False
    lan: bool = False
    https: bool = False
    trust_loopback: bool = True

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)


def settings_from_env() -> Settings:
    """Settings for a process started without a command line (tests, ``NICEGUI_USER_SIMULATION``)."""
    demo = env_flag('OUTPUTHUB_DEMO', False)
    db = demo_db_path() if demo else default_db_path()
    return Settings(
        db_path=db,
        demo=demo,
        lan=env_flag('OUTPUTHUB_LAN', False),
        trust_loopback=env_flag('OUTPUTHUB_TRUST_LOOPBACK', True),
    )
