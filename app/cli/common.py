"""Options and helpers shared by every subcommand: --db, --demo, --json, output, progress bars."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from .. import config
from ..data import db as dbmod


def common_parent() -> argparse.ArgumentParser:
    """A parent parser: ``--db``, ``--demo`` and ``--json`` on every subcommand."""
    parent = argparse.ArgumentParser(add_help=False)
    # SUPPRESS keeps a subcommand from clobbering the same option given before it.
    parent.add_argument(
        '--db',
        metavar='PATH',
        default=argparse.SUPPRESS,
        help='database file (default: outputhub.db in the user data directory; OUTPUTHUB_DB overrides)',
    )
    parent.add_argument(
        '--demo', action='store_true', default=argparse.SUPPRESS, help='use the demo profile database'
    )
    parent.add_argument('--json', action='store_true', default=False, help='print machine-readable JSON')
    return parent


def db_path(args: argparse.Namespace) -> Path:
    if getattr(args, 'db', None):
        return Path(args.db).expanduser()
    if getattr(args, 'demo', False):
        return config.demo_db_path()
    return config.default_db_path()


def open_db(args: argparse.Namespace) -> dbmod.HubDatabase:
    """Open (and upgrade) the database the arguments name."""
    return dbmod.connect(db_path(args))


def emit(args: argparse.Namespace, data: Any, text: str | None = None) -> None:
    """Print ``data`` as JSON with --json, else ``text`` (or a readable rendering of data)."""
    if getattr(args, 'json', False):
        print(json.dumps(data, ensure_ascii=False, default=str))
    elif text is not None:
        print(text)
    elif isinstance(data, dict):
        width = max((len(str(k)) for k in data), default=0)
        for key, value in data.items():
            print(f'{str(key).ljust(width)}  {value}')
    else:
        print(data)


class ProgressBar:
    """A one-line progress bar on stderr (only when stderr is a terminal, or when forced)."""

    def __init__(self, label: str, total: int | None = None, *, enabled: bool | None = None) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._last = 0.0
        self._start = time.monotonic()

    def update(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.1 or (self.total and done >= self.total)):
            self._last = now
            self._draw()

    def _draw(self) -> None:
        if self.total:
            frac = min(1.0, self.done / self.total)
            bar = '#' * int(frac * 30)
            line = f'\r{self.label} [{bar:<30}] {self.done}/{self.total} {frac:4.0%}'
        else:
            line = f'\r{self.label} {self.done}'
        sys.stderr.write(line)
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw()
            sys.stderr.write(f'  ({time.monotonic() - self._start:.1f} s)\n')
            sys.stderr.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
