"""``outputhub watch``: keep coding-agent sessions as they are written, in the foreground until Ctrl+C."""

from __future__ import annotations

import argparse
import json
import signal
import threading
from typing import Any

from ..data.text import plural
from .common import open_db

WATCH_EPILOG = """\
Without FOLDER it watches the folders set in Settings → Import (by default ~/.claude/projects,
~/.codex/sessions and ~/.gemini/tmp). New session files are imported; a file that grew adds only its
new messages; unchanged files are not read again, also after a restart. Symbolic links out of the
folders are not followed. Press Ctrl+C to stop."""


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        'watch',
        parents=[common],
        help='keep Claude Code, Codex and Gemini CLI sessions as they are written (until Ctrl+C)',
        description='Import new and growing coding-agent session files, printing what came in.',
        epilog=WATCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument('folders', nargs='*', metavar='FOLDER', help='folders to watch (default: see below)')
    p.add_argument('--every', type=float, default=3.0, metavar='SECONDS', help='seconds between looks (3)')
    p.add_argument('--once', action='store_true', help='look once, import what is new, and exit')
    p.set_defaults(func=cmd_watch)


def _line(item: Any) -> str:
    from ..data.importers import FORMAT_NAMES

    what = 'grew' if item.updated else 'new'
    name = item.title or item.path
    return (
        f'{FORMAT_NAMES.get(item.format, item.format)}: {name} ({what}, '
        f'+{plural(item.messages_added, "message")}) → conversation {item.conversation_id}  [{item.path}]'
    )


def cmd_watch(args: argparse.Namespace) -> int:
    from ..data import session_watch

    open_db(args)
    folders = (
        session_watch.check_folders(args.folders) if args.folders else session_watch.options()['folders']
    )
    every = max(0.2, float(args.every))
    watcher = session_watch.SessionWatcher(folders)
    stop = threading.Event()
    if not args.once:
        # Ctrl+C (and a polite kill) ends the pass in hand at the next file, keeping what came in
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        if not args.json:
            print(f'Watching {", ".join(folders)} (Ctrl+C to stop)', flush=True)
    sessions: set[str] = set()
    messages = 0
    while True:
        result = watcher.run_once(stop)
        for item in result.imported:
            sessions.add(item.path)
            messages += item.messages_added
            if args.json:
                print(json.dumps({'event': 'imported', **item.__dict__}, ensure_ascii=False), flush=True)
            else:
                print(_line(item), flush=True)
        for error in result.errors:
            print(f'could not read {error}', flush=True)
        if args.once or stop.wait(every):
            break
    summary = f'{plural(len(sessions), "session")} kept, {plural(messages, "new message")}.'
    if args.json:
        print(
            json.dumps({'event': 'stopped', 'sessions': len(sessions), 'messages_added': messages}),
            flush=True,
        )
    else:
        print(summary, flush=True)
    return 0
