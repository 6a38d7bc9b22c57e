"""Coding-agent sessions kept as they happen: find Claude Code, Codex and Gemini CLI session files in the
folders named, and import the new and grown ones (size and modification time tell; an unchanged file is
never read again). No NiceGUI here: the app's background service and ``outputhub watch`` both drive it.

- Only the folders named are read: the walk follows no symbolic link (file or folder), and a file is
  opened without following one, so nothing outside them is ever opened.
- A file that grew adds only its new messages, and a reply still being written is brought up to date in
  place (``ConversationWriter(refresh=True)``); a Claude Code session is read with its sub-agent files,
  a Codex rollout with the rollouts of the sub-agents it spawned.
- What was seen is kept per file (size, mtime, what it is, the conversation it became) in the AppSetting
  ``session_watch_files``: a restart re-reads nothing. A file that disappears is forgotten; its
  conversation stays in the library.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError, ValidationError
from . import import_history, settings_store
from .db import current
from .importers import ITEM_MODULES, PROJECT_LABELS, codex, inputs, projects
from .importers.base import Batch, ConversationWriter, ImportReport
from .models import Conversation, utcnow

log = logging.getLogger(__name__)

SETTING_KEY = 'session_watch'  # {"enabled": bool, "folders": [...]}
STATE_KEY = 'session_watch_files'  # path -> what was seen of it
DEFAULT_FOLDERS = ('~/.claude/projects', '~/.codex/sessions', '~/.gemini/tmp')
FORMATS = (inputs.CLAUDE_CODE, inputs.CODEX, inputs.GEMINI_CLI)
SUFFIXES = ('.jsonl', '.json')
MAX_DEPTH = 6  # ~/.codex/sessions/YYYY/MM/DD/rollout-….jsonl; <project>/<session>/subagents/agent-….jsonl
MAX_FILES = 50_000
MAX_FOLDERS = 20
SLOW_READ = (
    1.0  # seconds: a file that takes longer to read is read again at most every DEFER_FACTOR times that
)
DEFER_FACTOR = 10
MAX_DEFER = 60.0
RETRY_AFTER = (
    60.0  # seconds: a file whose read failed (locked database, unreadable for a moment) is tried again
)
SAVE_EVERY = 2.0  # seconds: a long first pass keeps what it learned if the app stops half-way
_NOFOLLOW = getattr(os, 'O_NOFOLLOW', 0)
_BINARY = getattr(os, 'O_BINARY', 0)


# --------------------------------------------------------------------------- options


def options() -> dict[str, Any]:
    """``enabled`` (off until the person turns it on) and the ``folders`` watched."""
    stored = settings_store.get(SETTING_KEY, {}) or {}
    stored = stored if isinstance(stored, dict) else {}
    folders = stored.get('folders')
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        folders = list(DEFAULT_FOLDERS)
    return {'enabled': bool(stored.get('enabled', False)), 'folders': folders}


def check_folders(folders: list[str]) -> list[str]:
    """Folder names as stored: stripped, full paths (``~`` allowed), no duplicates. ValidationError else."""
    out: list[str] = []
    for raw in folders:
        text = (raw or '').strip().strip('"\'').strip()
        if not text:
            continue
        if not Path(text).expanduser().is_absolute():
            raise ValidationError(f'{text} is not a full path; start it with / (or ~ for your home folder).')
        if text not in out:
            out.append(text)
    if len(out) > MAX_FOLDERS:
        raise ValidationError(f'Watch at most {MAX_FOLDERS} folders.')
    return out


def save_options(*, enabled: bool | None = None, folders: list[str] | None = None) -> dict[str, Any]:
    """Store the switch and/or the folders (checked); returns the options now in force. Callers check who
    asks (``app.services.session_watch.configure``)."""
    opts = options()
    if enabled is not None:
        opts['enabled'] = bool(enabled)
    if folders is not None:
        opts['folders'] = check_folders(folders) or list(DEFAULT_FOLDERS)
    settings_store.put(SETTING_KEY, opts)
    return opts


# --------------------------------------------------------------------------- scanning


def _roots(folders: list[str]) -> list[str]:
    """The folders as they are on disk (links resolved), those that exist."""
    out = []
    for folder in folders:
        try:
            root = str(Path(folder).expanduser().resolve(strict=True))  # the folder named may be a link
        except (OSError, RuntimeError):
            continue
        if os.path.isdir(root):
            out.append(root)
    return out


def scan(folders: list[str]) -> dict[str, tuple[int, int, str]]:
    """Every ``.jsonl`` / ``.json`` file under the folders: path -> (size, mtime in ns, its folder). Symbolic
    links are not followed (neither to files nor to folders); missing folders are skipped."""
    out: dict[str, tuple[int, int, str]] = {}
    for root in _roots(folders):
        stack = [(root, 0)]
        while stack and len(out) < MAX_FILES:
            where, depth = stack.pop()
            try:
                entries = os.scandir(where)
            except OSError:
                continue
            with entries:
                for e in entries:
                    try:
                        if e.is_symlink():
                            continue
                        if e.is_dir(follow_symlinks=False):
                            if depth < MAX_DEPTH:
                                stack.append((e.path, depth + 1))
                        elif e.name.endswith(SUFFIXES) and e.is_file(follow_symlinks=False):
                            st = e.stat(follow_symlinks=False)
                            out.setdefault(e.path, (st.st_size, st.st_mtime_ns, root))
                    except OSError:
                        continue
    return out


def _opener(path: str, root: str) -> Callable[[], Any]:
    def open_file():
        # the path was a regular file under ``root`` when scanned; refuse it if it has since become a link
        # (O_NOFOLLOW) or moved out through a linked folder
        real = os.path.realpath(path)
        if os.path.commonpath([real, root]) != root:
            raise OSError(f'{path} is no longer inside {root}')
        return os.fdopen(os.open(path, os.O_RDONLY | _NOFOLLOW | _BINARY), 'rb')

    return open_file


def _doc(path: str, root: str) -> inputs.JsonDoc:
    name = os.path.relpath(path, root).replace(os.sep, '/')
    try:
        mtime = os.stat(path, follow_symlinks=False).st_mtime
    except OSError:
        mtime = None
    return inputs.JsonDoc(name, _opener(path, root), mtime=mtime)


def _sniff(doc: inputs.JsonDoc) -> str | None:
    """The session format of one file from its content, or None (not a session, unreadable)."""
    try:
        kind = inputs.sniff_jsonl(doc)
        if kind is None:
            kind, _ = inputs.sniff(doc)
    except (UserError, ValueError):
        return None
    # OSError (unreadable for now) goes to the caller: the file is tried again, not taken for "not a session"
    return kind if kind in FORMATS else None


# --------------------------------------------------------------------------- a pass


@dataclass
class Imported:
    path: str
    format: str
    conversation_id: int | None
    title: str
    messages_added: int
    updated: bool  # the conversation was there already (a file that grew)


@dataclass
class PassResult:
    """What one pass did: files seen, changed (read), imported, forgotten (gone from disk)."""

    files: int = 0
    changed: int = 0
    imported: list[Imported] = field(default_factory=list)
    forgotten: int = 0
    errors: list[str] = field(default_factory=list)
    parses: int = 0  # files read (0 when nothing changed)
    seconds: float = 0.0
    runs: list[int] = field(default_factory=list)  # the import history's rows (ImportRun) this pass wrote

    @property
    def messages_added(self) -> int:
        return sum(i.messages_added for i in self.imported)


def _now() -> str:
    return utcnow().isoformat(timespec='seconds')


class SessionWatcher:
    """One watcher per process (the app's service, or ``outputhub watch``). ``run_once()`` is one pass;
    ``parses`` counts every file read since it was made."""

    def __init__(self, folders: list[str] | None = None) -> None:
        self.folders = folders
        self.parses = 0
        self._state: dict[str, dict[str, Any]] | None = None
        self._lock = threading.Lock()
        self._not_before: dict[str, float] = {}  # a big session being written is re-read less often
        self._retry_at: dict[str, float] = {}  # a file whose read failed, unchanged since: when to try again

    def _load(self) -> dict[str, dict[str, Any]]:
        if self._state is None:
            stored = settings_store.get(STATE_KEY, {}) or {}
            self._state = (
                {k: v for k, v in stored.items() if isinstance(v, dict)} if isinstance(stored, dict) else {}
            )
        return self._state

    def _save(self) -> None:
        settings_store.put(STATE_KEY, self._state or {})

    def run_once(self, stop: threading.Event | None = None) -> PassResult:
        with self._lock:
            return self._pass(stop)

    def _pass(self, stop: threading.Event | None) -> PassResult:
        started = time.monotonic()
        folders = self.folders if self.folders is not None else options()['folders']
        found = scan(folders)
        state = self._load()
        result = PassResult(files=len(found))
        # forgotten: files gone from a folder this pass looked at (``outputhub watch`` on one folder must not
        # forget what the app's watcher knows of the others, nor a folder that is not there right now)
        looked = tuple(os.path.join(r, '') for r in _roots(folders))
        gone = [p for p in state if p not in found and p.startswith(looked)]
        for p in gone:
            del state[p]  # the file went (Claude Code deletes old sessions): its conversation stays
            self._not_before.pop(p, None)
            self._retry_at.pop(p, None)
        result.forgotten = len(gone)
        clock = time.monotonic()
        changed = [
            p
            for p, (size, mtime, _) in found.items()
            if self._not_before.get(p, 0.0) <= clock
            and _due(state.get(p), size, mtime, self._retry_at.get(p, 0.0), clock)
        ]
        result.changed = len(changed)
        if not changed:
            if gone:
                self._save()
            result.seconds = time.monotonic() - started
            return result

        now = _now()
        for p in changed:
            size, mtime, root = found[p]
            doc = _doc(p, root)
            entry = state.setdefault(p, {'found': now})
            try:
                kind = _sniff(doc)
                entry.update(s=size, m=mtime, f=kind or '', sid=doc.session, agent=doc.agent)
                if kind == inputs.CODEX:  # a sub-agent's rollout names the thread that spawned it
                    sid, entry['par'] = codex.head(doc)
                    entry['sid'] = sid or doc.session
            except OSError as exc:
                entry.update(s=size, m=mtime, f='', e=f'cannot be read: {exc}'[:300])
                self._retry_at[p] = clock + RETRY_AFTER
                log.info('session watch: %s cannot be read: %s', p, exc)
                continue
            entry.pop('e', None)
        # a Claude Code session is read with its sub-agent files: a grown sub-agent file re-reads its session
        mains_by_sid = {
            e.get('sid'): p
            for p, e in state.items()
            if e.get('f') == inputs.CLAUDE_CODE and not e.get('agent') and e.get('sid')
        }
        # a Codex sub-agent's rollout is read with the thread that spawned it (and that one's parent, …)
        codex_by_sid = {
            e.get('sid'): p for p, e in state.items() if e.get('f') == inputs.CODEX and e.get('sid')
        }

        def codex_root(p: str) -> str:
            seen = {p}
            while (up := codex_by_sid.get(state[p].get('par'))) is not None and up not in seen:
                seen.add(up)
                p = up
            return p

        groups: dict[str, list[str]] = {}
        for p in changed:
            e = state[p]
            if not e['f']:
                continue
            main = p
            if e['f'] == inputs.CLAUDE_CODE and e.get('agent'):
                main = mains_by_sid.get(e.get('sid'), p)
            elif e['f'] == inputs.CODEX and e.get('par'):
                main = codex_root(p)
            groups.setdefault(main, [])
        for main in groups:
            e = state[main]
            if e['f'] == inputs.CLAUDE_CODE and not e.get('agent') and e.get('sid'):
                groups[main] = [
                    p
                    for p, x in state.items()
                    if p != main
                    and x.get('f') == inputs.CLAUDE_CODE
                    and x.get('agent')
                    and x.get('sid') == e['sid']
                ]
            elif e['f'] == inputs.CODEX:
                groups[main] = [
                    p for p, x in state.items() if p != main and x.get('par') and codex_root(p) == main
                ]

        writers: dict[str, ConversationWriter] = {}
        saved = time.monotonic()
        db = current()
        with Batch(db) as batch:
            for main, related in groups.items():
                if stop is not None and stop.is_set():
                    break
                members = [main, *related]
                try:
                    batch.ensure()
                    took = time.monotonic()
                    item = self._import(main, members, found, state, writers)
                    took = time.monotonic() - took
                    if took > SLOW_READ:
                        # a session of tens of MB still being written: not read again on every pass
                        for p in members:
                            self._not_before[p] = time.monotonic() + min(MAX_DEFER, DEFER_FACTOR * took)
                    if item is not None:
                        result.imported.append(item)
                except Exception as exc:  # one broken file must not stop the others
                    message = f'{main}: {exc}'[:500]
                    result.errors.append(message)
                    if state[main].get('f') in writers:
                        writers[state[main]['f']].report.error(message)
                    state[main]['e'] = str(exc)[:300]  # tried again later (see _due)
                    self._retry_at[main] = time.monotonic() + RETRY_AFTER
                    log.info('session watch: %s', message)
                result.parses += len(members)
                batch.maybe_commit()
                if time.monotonic() - saved > SAVE_EVERY:
                    batch.commit()
                    self._save()
                    saved = time.monotonic()
        self._save()
        result.seconds = time.monotonic() - started
        self._record(writers, result)
        return result

    @staticmethod
    def _record(writers: dict[str, ConversationWriter], result: PassResult) -> None:
        """The import history gets one run per kind of session this pass added to or updated (none for a
        pass that changed nothing), so the Import page lists what the watcher brought in beside the uploads."""
        for fmt, writer in writers.items():
            writer.report.seconds = round(result.seconds, 3)
            try:
                run_id = import_history.record_watch_pass(fmt, PROJECT_LABELS.get(fmt, fmt), writer.report)
            except Exception:  # the sessions are kept; only the history line is missing
                log.warning('session watch: could not record the pass in the import history', exc_info=True)
                continue
            if run_id is not None:
                result.runs.append(run_id)

    def _import(self, main: str, members: list[str], found, state, writers) -> Imported | None:
        fmt = state[main]['f']
        self.parses += len(members)
        docs = [_doc(p, found[p][2]) for p in members if p in found]
        inp = inputs.ImportInput(Path(found[main][2]), 'folder', docs=docs)
        inputs._detect(inp)  # the content decides again, and groups sub-agent files with their session
        inputs.validate(inp)  # a JSON document is read whole once: one still being written is refused
        writer = writers.get(fmt)
        if writer is None:
            writer = writers[fmt] = ConversationWriter(fmt, ImportReport(format=fmt), refresh=True)
        report = writer.report
        module = ITEM_MODULES[fmt]
        label = PROJECT_LABELS.get(fmt)
        before = report.messages_added
        conv_id = None
        title = ''
        updated = False
        docs = [d for d in inp.docs if d.kind != 'empty']
        shared = (
            (module.prepare(docs),) if hasattr(module, 'prepare') else ()
        )  # Codex: sub-agents with parents
        for doc in docs:
            for _, build in module.items(doc, report, *shared):
                conv = build()
                updated = updated or conv.external_id in writer.existing
                if label:
                    projects.ensure_collection(writer, conv, label)
                writer.save(conv)
                conv_id = (writer.existing.get(conv.external_id) or (None,))[0]
                title = (writer.existing.get(conv.external_id) or (None, ''))[1] or ''
        added = report.messages_added - before
        now = _now()
        for p in members:
            e = state[p]
            e.pop('e', None)
            e['c'] = conv_id
            e['at'] = now
        state[main]['n'] = int(state[main].get('n') or 0) + added
        return Imported(main, fmt, conv_id, title, added, updated)

    def forget_all(self) -> None:
        """Start over: the next pass reads every file again (adding only what is missing)."""
        with self._lock:
            self._state = {}
            self._save()


def _due(entry: dict[str, Any] | None, size: int, mtime: int, retry_at: float, clock: float) -> bool:
    """Whether to read the file in this pass: new, changed since it was last read, or its last read failed
    (tried again every RETRY_AFTER while it does not change; after a restart, on the first pass)."""
    if entry is None or entry.get('s') != size or entry.get('m') != mtime:
        return True
    return 'e' in entry and retry_at <= clock


# --------------------------------------------------------------------------- what the Import page lists


@dataclass
class FoundSession:
    path: str
    format: str
    found_at: str
    imported_at: str | None
    conversation_id: int | None
    title: str
    messages: int
    error: str | None


def found_sessions(limit: int = 50) -> tuple[list[FoundSession], int]:
    """The session files seen (latest import first, at most ``limit``) and how many there are in all;
    sub-agent files are counted with their session."""
    stored = settings_store.get(STATE_KEY, {}) or {}
    entries = [
        (p, e)
        for p, e in (stored.items() if isinstance(stored, dict) else [])
        if isinstance(e, dict) and e.get('f') and not e.get('agent')
    ]
    entries.sort(key=lambda pe: pe[1].get('at') or pe[1].get('found') or '', reverse=True)
    shown = entries[:limit]
    ids = {e.get('c') for _, e in shown if isinstance(e.get('c'), int)}
    titles = {}
    if ids:
        titles = {
            c.id: c.title
            for c in Conversation.select(Conversation.id, Conversation.title).where(
                Conversation.id.in_(list(ids)) & Conversation.deleted_at.is_null()
            )
        }
    out = []
    for p, e in shown:
        cid = e.get('c') if e.get('c') in titles else None
        out.append(
            FoundSession(
                path=p,
                format=str(e.get('f')),
                found_at=str(e.get('found') or ''),
                imported_at=e.get('at'),
                conversation_id=cid,
                title=titles.get(cid, '') if cid else '',
                messages=int(e.get('n') or 0),
                error=e.get('e'),
            )
        )
    return out, len(entries)
