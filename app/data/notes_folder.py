"""A notes folder that stays in step: the Obsidian-friendly Markdown export (``exporters.render_vault``) kept
in a folder the user picks — an Obsidian vault, or a Drive / Dropbox / Syncthing folder.

A run writes only the notes whose bytes changed (files that did not change are never rewritten, so their
modification time stays and sync tools see no churn), writes each one atomically (a temporary file, then a
rename), and removes the notes it wrote earlier that are no longer in the export: items moved to the trash,
deleted for good, become Secret, or renamed (a new title is a new file name; the old file goes). What it
wrote is listed in ``.outputhub-sync.json`` in the folder (path → SHA-256): a file not listed there is the
user's own and is never changed or removed, even when it has the name of a note. A listed note whose bytes
no longer match what the run wrote was edited there (in Obsidian, say): it is left as the user made it and is
no longer listed, so it is theirs from then on.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import UserError
from . import exporters
from .db import current
from .models import (
    Agent,
    AgentVersion,
    Category,
    Collection,
    Conversation,
    LlmModel,
    Message,
    Output,
    Prompt,
    PromptVersion,
    SensitivityLevel,
    Source,
    Tag,
    utcnow,
)

MANIFEST = '.outputhub-sync.json'
MANIFEST_FORMAT = 'outputhub-notes-folder'
SETTING_KEY = 'notes_folder'  # {'dir', 'include_secret', 'keep'}: the running app keeps 'dir' in step
STATUS_KEY = 'notes_folder_status'  # the last run's report (or error), for the Settings panel
_TMP_SUFFIX = '.outputhub-tmp'
_ONE_AT_A_TIME = threading.Lock()


@dataclass
class SyncReport:
    """What one run did: notes written (new or changed), left as they were, and removed."""

    path: str
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    left_out_secret: int = 0
    skipped: list[str] = field(default_factory=list)  # a file of the user's already has the note's name
    edited: list[str] = field(default_factory=list)  # notes the user changed in the folder: left, let go
    written_files: list[str] = field(default_factory=list)
    removed_files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return counts_text(self.written, self.unchanged, self.removed, len(self.skipped), len(self.edited))


def counts_text(written: int, unchanged: int, removed: int, skipped: int = 0, edited: int = 0) -> str:
    """What a run did, in words (the CLI, the Settings panel's toast and its last-run line)."""
    s = f'{written} written, {unchanged} unchanged, {removed} removed'
    if skipped:
        s += f', {skipped} left alone (a file of yours has that name)'
    if edited == 1:
        s += ', 1 note you edited was left as it is'
    elif edited:
        s += f', {edited} notes you edited were left as they are'
    return s


# --------------------------------------------------------------------------- the folder


class FolderProblem(UserError):
    """The folder typed will not do; the one sentence says why (the Settings panel shows it under the field)."""


def full_path(text: str | Path | None, *, blank: str) -> Path:
    """The folder typed as a full, normalised path (``~`` is the home folder), or a FolderProblem: ``blank``
    when nothing is typed, one sentence when it is relative (it would land wherever the app was started).
    Looks at no file: the notes folder and the prompt history repository both start here."""
    raw = str(text or '').strip().strip('"\'').strip()
    if not raw:
        raise FolderProblem(blank)
    try:
        p = Path(raw).expanduser()
    except RuntimeError:  # ~someone who is not a user here
        p = Path(raw)
    if not p.is_absolute():
        raise FolderProblem(f'{raw} is not a full path; start it with / (or ~ for your home folder).')
    return Path(os.path.normpath(p))


def check_folder(text: str | Path) -> Path:
    """The folder to keep the notes in, or a UserError of one sentence: it must be a full path, not a file,
    its parent must exist (only the last folder is made), and Output Hub must be able to write there."""
    p = full_path(text, blank='Type the folder to keep the notes in first.')
    if p.exists() and not p.is_dir():
        raise FolderProblem(f'{p} is a file, not a folder.')
    if not p.exists():
        if not p.parent.is_dir():
            raise FolderProblem(f'{p} cannot be made: the folder {p.parent} does not exist.')
        if not os.access(p.parent, os.W_OK | os.X_OK):
            raise FolderProblem(f'{p} cannot be made: Output Hub may not write in {p.parent}.')
    elif not os.access(p, os.W_OK | os.X_OK):
        raise FolderProblem(f'Output Hub may not write in {p}.')
    return p


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _safe_relative(rel: str) -> bool:
    """A manifest entry names a file inside the folder: relative, no '..', not the manifest itself."""
    path = PurePosixPath(rel)
    return (
        bool(rel)
        and not path.is_absolute()
        and '\\' not in rel
        and all(part not in ('', '.', '..') for part in path.parts)
        and rel != MANIFEST
        and not rel.endswith(_TMP_SUFFIX)
    )


def _read_manifest(root: Path) -> dict[str, str]:
    try:
        data = json.loads((root / MANIFEST).read_text(encoding='utf-8'))
    except (OSError, ValueError):
        return {}
    files = data.get('files') if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str) and _safe_relative(k)}


def _atomic_write(target: Path, data: bytes, *, durable: bool = False) -> None:
    """Write a temporary file beside ``target`` and rename it over: Obsidian or a sync tool sees the old
    file or the new one, never half of one. ``durable`` also waits for the disk (the manifest only: a note
    lost to a power cut is simply written again on the next run, and thousands of waits are slow)."""
    tmp = target.with_name(f'.{target.name}.{secrets.token_hex(4)}{_TMP_SUFFIX}')  # unique: another process
    try:
        with open(tmp, 'wb') as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_manifest(root: Path, files: dict[str, str]) -> None:
    body = {'format': MANIFEST_FORMAT, 'version': 1, 'files': dict(sorted(files.items()))}
    data = (json.dumps(body, ensure_ascii=False, indent=1) + '\n').encode('utf-8')
    target = root / MANIFEST
    try:
        if target.read_bytes() == data:
            return  # unchanged: not even the manifest's mtime moves
    except OSError:
        pass
    _atomic_write(target, data, durable=True)


class _FolderWriter:
    """The vault's writer for a notes folder: compares each note with what is there and writes it only
    when it differs; remembers every note of this run for the manifest."""

    def __init__(self, root: Path, old: dict[str, str], report: SyncReport) -> None:
        self.root = root
        self.resolved = root.resolve()
        self.old = old
        self.report = report
        self.now: dict[str, str] = {}  # path → digest of the notes written by this run (or kept as they are)

    def _inside(self, target: Path) -> bool:
        try:
            return target.resolve().is_relative_to(self.resolved)
        except OSError:
            return False

    def __call__(self, relative: Path, text: str) -> None:
        rel = PurePosixPath(*relative.parts).as_posix()
        data = text.encode('utf-8')
        digest = _digest(data)
        target = self.root / rel
        if not self._inside(target):  # a link inside the folder pointing out of it: never followed
            self.report.skipped.append(rel)
            return
        try:
            st = target.stat()
        except FileNotFoundError:
            st = None
        if st is not None:
            if self.old.get(rel) == digest and st.st_size == len(data):
                self.now[rel] = digest
                self.report.unchanged += 1
                return
            there = _read_bytes(target)
            if there == data:
                self.now[rel] = digest
                self.report.unchanged += 1
                return
            if rel not in self.old:
                self.report.skipped.append(rel)  # the user's own file with this name: left alone
                return
            if there is None:  # cannot tell whether the user changed it: left, asked again next run
                self.now[rel] = self.old[rel]
                return
            if _digest(there) != self.old[rel]:
                self.report.edited.append(rel)  # changed in the folder since it was written: theirs now
                return
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(target, data)
        self.now[rel] = digest
        self.report.written += 1
        self.report.written_files.append(rel)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _remove_empty_parents(root: Path, path: Path) -> None:
    """Folders emptied by removing a note go too (only those: a folder with anything in it stays)."""
    parent = path.parent
    while parent != root and parent.is_relative_to(root):
        try:
            parent.rmdir()  # fails on a folder that is not empty
        except OSError:
            return
        parent = parent.parent


def sync(directory: str | Path, *, include_secret: bool = False) -> SyncReport:
    """Bring the notes folder at ``directory`` in step with the library (see the module docstring)."""
    root = check_folder(directory)
    try:
        with _ONE_AT_A_TIME:  # the service, Sync now and a second click never write the folder at once
            return _sync(root, include_secret)
    except OSError as exc:  # a full disk, a folder gone mid-run, a drive unplugged: one sentence
        raise UserError(f'The notes folder {root} could not be written: {exc.strerror or exc}.') from None


def _sync(root: Path, include_secret: bool) -> SyncReport:
    started = time.monotonic()
    root.mkdir(exist_ok=True)
    report = SyncReport(path=str(root))
    old = _read_manifest(root)
    writer = _FolderWriter(root, old, report)
    finished = False
    try:
        _, report.left_out_secret = exporters.render_vault(writer, include_secret=include_secret)
        finished = True
    finally:
        if not finished:  # keep what was written listed, so a later run can still tidy it up
            let_go = set(report.edited)
            _write_manifest(root, {**{k: v for k, v in old.items() if k not in let_go}, **writer.now})
    for rel in sorted(set(old) - set(writer.now) - set(report.edited)):
        target = root / rel
        if not writer._inside(target.parent) or target.is_symlink():
            continue
        try:
            there = target.read_bytes()
        except FileNotFoundError:
            continue  # the user removed it already: nothing left to remove, and no longer listed
        except OSError:
            writer.now[rel] = old[rel]  # cannot tell whether the user changed it: try again next time
            continue
        if _digest(there) != old[rel]:
            report.edited.append(rel)  # changed in the folder since it was written: theirs now, kept
            continue
        try:
            target.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            writer.now[rel] = old[rel]  # could not remove it now: keep it listed, try again next time
            continue
        report.removed += 1
        report.removed_files.append(rel)
        _remove_empty_parents(root, target)
    _write_manifest(root, writer.now)
    report.seconds = round(time.monotonic() - started, 3)
    return report


# --------------------------------------------------------------------------- cheap "did anything change?"

_CONTENT = (Prompt, Agent, Conversation, Output)
_LOOKUPS = (Tag, Collection, Category, Source, SensitivityLevel, LlmModel)


def fingerprint() -> str:
    """A digest of what the notes are made of, from a few aggregate queries (no note is rendered): the
    counts and latest changes of every item, its trash state, sensitivity, rating and title, versions,
    messages, tags, collections and lookups. Equal fingerprints mean a run would write nothing (almost
    always: the service still runs in full now and then)."""
    db = current()
    parts: list[Any] = []

    def one(sql: str) -> None:
        parts.append(list(db.execute_sql(sql).fetchone()))

    for model in _CONTENT:
        title = 'name' if model is Agent else 'title'
        current_version = ', max(current_version_id)' if model in (Prompt, Agent) else ''
        one(
            'SELECT count(*), max(updated_at), max(deleted_at), '
            'total(CASE WHEN deleted_at IS NULL THEN 0 ELSE id END), total(coalesce(sensitivity_id, 0) * id), '
            'total(coalesce(category_id, 0) * id), total(coalesce(rating, 0) * id), total(favourite * id), '
            f'total(length({title}) * id){current_version} FROM "{model._meta.table_name}"'
        )
    for model in (PromptVersion, AgentVersion):
        one(f'SELECT count(*), max(id) FROM "{model._meta.table_name}"')
    one(f'SELECT count(*), max(id), max(updated_at) FROM "{Message._meta.table_name}"')
    for model in _LOOKUPS:
        one(f'SELECT count(*), max(updated_at), total(length(name) * id) FROM "{model._meta.table_name}"')
    one(f'SELECT total(restricted * id) FROM "{SensitivityLevel._meta.table_name}"')
    for model in exporters.JUNCTION_MODELS:
        a, b = (f.column_name for f in model._meta.sorted_fields if f.column_name.endswith('_id'))
        one(f'SELECT count(*), total({a} * 7919 + {b}) FROM "{model._meta.table_name}"')
    return _digest(json.dumps(parts, default=str).encode('utf-8'))


# --------------------------------------------------------------------------- the setting


def setting() -> dict[str, Any] | None:
    """The chosen folder ({'dir', 'include_secret', 'keep'}), or None."""
    from . import settings_store

    value = settings_store.get(SETTING_KEY)
    return value if isinstance(value, dict) and value.get('dir') else None


def kept() -> dict[str, Any] | None:
    """The folder the running app keeps in step (the setting with keep on), or None."""
    value = setting()
    return value if value and value.get('keep') else None


def save_setting(directory: str | Path, *, include_secret: bool = False, keep: bool = True) -> dict[str, Any]:
    from . import settings_store

    value = {'dir': str(check_folder(directory)), 'include_secret': bool(include_secret), 'keep': bool(keep)}
    settings_store.put(SETTING_KEY, value)
    return value


def stop_keeping() -> dict[str, Any] | None:
    """Stop keeping the folder in step (the folder and its notes stay as they are). Returns what was kept."""
    from . import settings_store

    was = kept()
    value = setting()
    if value:
        settings_store.put(SETTING_KEY, {**value, 'keep': False})
    return was


def record_status(report: SyncReport | None, error: str | None = None) -> dict[str, Any]:
    """Remember the last run (for the Settings panel, across restarts and CLI runs)."""
    from . import settings_store

    status = {
        'at': utcnow().isoformat(timespec='seconds'),
        'path': report.path if report else None,
        'written': report.written if report else 0,
        'unchanged': report.unchanged if report else 0,
        'removed': report.removed if report else 0,
        'skipped': len(report.skipped) if report else 0,
        'edited': len(report.edited) if report else 0,
        'error': error,
    }
    settings_store.put(STATUS_KEY, status)
    return status


def last_status() -> dict[str, Any] | None:
    from . import settings_store

    value = settings_store.get(STATUS_KEY)
    return value if isinstance(value, dict) else None


def sync_kept() -> SyncReport | None:
    """One run into the kept folder (None when none is kept)."""
    value = kept()
    if value is None:
        return None
    return sync(value['dir'], include_secret=bool(value.get('include_secret')))
