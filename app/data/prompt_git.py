"""The prompt and agent library as a git history: one Markdown file per prompt and agent, one commit per version.

Each version becomes one commit, in version order across the library (by date), with the version's note as
the message and the version's date as author and committer date. A trailer ``Output-Hub-Version: prompt/ID``
in each message records what was written, so a later run (read back with ``git log``) commits only versions
it has not written yet. File names are a slug of the title plus the id (``prompts/write-tests-p12.md``),
fixed when the file is first written and found again by the id: renaming a prompt never makes a new file.
An item that leaves what is written (moved to the trash, deleted for good, made Secret when Secret items are
left out, taken out of the library) gets a deletion commit removing its file; when it comes back with no
new version (restored from the trash), a commit adds its latest version again.
Uses the git command line (no shell, a clean environment: no global config, hooks or signing).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import unicodedata
from calendar import timegm
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import UserError
from . import sensitivity
from .exporters import front_matter
from .models import Agent, AgentVersion, Category, LlmModel, Prompt, PromptVersion, SensitivityLevel, utcnow

DEFAULT_AUTHOR = 'Output Hub <outputhub@localhost>'
TRAILER = 'Output-Hub-Version'
FOLDERS = {'prompt': 'prompts', 'agent': 'agents'}
_PREFIX = {'prompt': 'p', 'agent': 'a'}
_ID_IN_NAME = re.compile(r'-([pa])(\d+)\.md$')
_SLUG_LIMIT = 60
_GIT_TIMEOUT = 60


@dataclass
class GitExportReport:
    """What one run did: commits made now, versions already in the history, Secret items left out."""

    path: Path
    created_repo: bool = False
    commits: int = 0
    already: int = 0
    left_out_secret: int = 0
    removed: int = 0  # deletion commits: items moved to the trash, deleted, made Secret or unsaved
    restored: int = 0  # commits adding back an item that came back with no new version
    files: list[str] = field(default_factory=list)  # files touched by this run, relative to ``path``

    def to_dict(self) -> dict[str, Any]:
        return {
            'path': str(self.path),
            'created_repo': self.created_repo,
            'commits': self.commits,
            'already_written': self.already,
            'left_out_secret': self.left_out_secret,
            'removed': self.removed,
            'restored': self.restored,
            'files': self.files,
        }


def slug(text: str) -> str:
    """A lowercase ASCII slug (letters, digits, single dashes), never empty, never long."""
    ascii_text = unicodedata.normalize('NFKD', text or '').encode('ascii', 'ignore').decode('ascii')
    s = re.sub(r'[^a-z0-9]+', '-', ascii_text.lower()).strip('-')[:_SLUG_LIMIT].strip('-')
    return s or 'untitled'


def file_name(kind: str, item_id: int, title: str) -> str:
    """``prompts/<slug>-p<id>.md`` / ``agents/<slug>-a<id>.md``: always a plain name inside its folder."""
    return f'{FOLDERS[kind]}/{slug(title)}-{_PREFIX[kind]}{int(item_id)}.md'


def parse_author(author: str) -> tuple[str, str]:
    """``Name <email>`` → (name, email). Raises UserError when it is not of that form."""
    m = re.fullmatch(r'\s*([^<>\n]+?)\s*<([^<>\s]+)>\s*', author or '')
    if not m:
        raise UserError(f'The author must look like "Name <email>", not {author!r}.')
    return m.group(1), m.group(2)


# --------------------------------------------------------------------------- git itself


class _Git:
    """The git command line in one folder, with a clean environment and fixed identity."""

    def __init__(self, root: Path, name: str, email: str) -> None:
        exe = shutil.which('git')
        if exe is None:
            raise UserError('git is not installed (or not on PATH); install git to write the prompt history.')
        self.exe = exe
        self.root = root
        self.env = {
            'PATH': os.environ.get('PATH', ''),
            'HOME': str(root),  # no ~/.gitconfig of the user's: their hooks, signing or templates
            'GIT_CONFIG_NOSYSTEM': '1',
            'GIT_CONFIG_GLOBAL': os.devnull,
            'GIT_TERMINAL_PROMPT': '0',
            'LC_ALL': 'C',
            'GIT_AUTHOR_NAME': name,
            'GIT_AUTHOR_EMAIL': email,
            'GIT_COMMITTER_NAME': name,
            'GIT_COMMITTER_EMAIL': email,
        }

    def run(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> str:
        cmd = [
            self.exe,
            '-c',
            'commit.gpgsign=false',
            '-c',
            'core.hooksPath=/dev/null',
            '-c',
            'core.autocrlf=false',
            '-c',
            'core.quotepath=off',
            '-c',
            'core.fsmonitor=false',  # a repository's own config must not start a program either
            '-C',
            str(self.root),
            *args,
        ]
        try:
            done = subprocess.run(
                cmd,
                input=input,
                capture_output=True,
                text=True,
                encoding='utf-8',
                env={**self.env, **(env or {})},
                timeout=_GIT_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UserError(f'git {args[0]} could not run in {self.root}: {exc}.') from None
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise UserError(f'git {args[0]} failed in {self.root}: {detail[-1] if detail else "no message"}.')
        return done.stdout

    def ok(self, *args: str) -> bool:
        try:
            self.run(*args)
        except UserError:
            return False
        return True


def _open_repo(git: _Git) -> bool:
    """Make ``git.root`` a repository of its own (``git init`` when it is not one). True when created."""
    root = git.root
    if root.exists() and not root.is_dir():
        raise UserError(f'{root} is a file, not a folder.')
    if root.is_dir() and git.ok('rev-parse', '--git-dir'):
        top = git.run('rev-parse', '--show-toplevel').strip()
        if top and Path(top).resolve() == root.resolve():
            return False
    root.mkdir(parents=True, exist_ok=True)
    git.run('init', '-q', '-b', 'main')
    return True


def _written(git: _Git) -> set[str]:
    """The versions already in the history (``prompt/12``), from the trailers of every commit."""
    if not git.ok('rev-parse', '--verify', '-q', 'HEAD'):
        return set()
    out = git.run('log', f'--format=%(trailers:key={TRAILER},valueonly)')
    return {line.strip() for line in out.splitlines() if line.strip()}


def _tracked_names(git: _Git) -> dict[tuple[str, int], str]:
    """{(kind, id): path} of the files already in the repository, found by the id in the name."""
    out = git.run('ls-files', '-z', '--', *FOLDERS.values())
    found: dict[tuple[str, int], str] = {}
    for path in out.split('\0'):
        m = _ID_IN_NAME.search(path)
        if m and '/' in path and path.split('/', 1)[0] in FOLDERS.values():
            kind = 'prompt' if m.group(1) == 'p' else 'agent'
            found.setdefault((kind, int(m.group(2))), path)
    return found


def _refuse_uncommitted(git: _Git) -> None:
    if git.run('status', '--porcelain', '-z', '--untracked-files=all', '--', *FOLDERS.values()).strip('\0'):
        raise UserError(
            f'{git.root} has uncommitted changes in prompts/ or agents/; commit or discard them first.'
        )


# --------------------------------------------------------------------------- what is written


@dataclass
class _Entry:
    kind: str
    item: Any
    version: Any
    order: datetime  # the version's date, never before an earlier version of the same item

    @property
    def key(self) -> str:
        return f'{self.kind}/{self.version.id}'

    @property
    def title(self) -> str:
        return (self.item.title if self.kind == 'prompt' else self.item.name) or 'Untitled'


def _entries(include_secret: bool) -> tuple[list[_Entry], int]:
    """Every version of saved prompts and agents not in the trash, in the order to commit; and how many
    Secret items were left out."""
    restricted = [] if include_secret else sensitivity.restricted_level_ids()
    left_out = 0
    entries: list[_Entry] = []
    for kind, model, vmodel, owner, extra in (
        ('prompt', Prompt, PromptVersion, PromptVersion.prompt, Prompt.saved == True),  # noqa: E712
        ('agent', Agent, AgentVersion, AgentVersion.agent, None),
    ):
        q = model.select().where(model.deleted_at.is_null())
        if extra is not None:
            q = q.where(extra)
        if restricted:
            left_out += q.where(model.sensitivity.in_(restricted)).count()
            q = q.where(model.sensitivity.is_null() | model.sensitivity.not_in(restricted))
        items = {row.id: row for row in q}
        if not items:
            continue
        vs = vmodel.select().where(owner.in_(list(items))).order_by(owner, vmodel.number)
        last: dict[int, datetime] = {}
        for v in vs:
            item_id = getattr(v, owner.name + '_id')
            order = max(v.created_at, last.get(item_id, v.created_at))
            last[item_id] = order
            entries.append(_Entry(kind, items[item_id], v, order))
    entries.sort(key=lambda e: (e.order, e.kind, e.item.id, e.version.number))
    return entries, left_out


def _names(model: type, ids: set[int], attr: str = 'name') -> dict[int, str]:
    ids = {i for i in ids if i}
    return {r.id: getattr(r, attr) for r in model.select().where(model.id.in_(list(ids)))} if ids else {}


def _document(entry: _Entry, lookups: dict[str, dict[int, str]]) -> str:
    item, v = entry.item, entry.version
    meta: dict[str, Any] = {
        'title': entry.title,
        'type': entry.kind,
        'outputhub_id': f'{entry.kind}/{item.id}',
        'version': v.number,
        'version_id': v.id,
        'date': v.created_at,
        'note': v.note,
        'description': item.description,
        'category': lookups['category'].get(item.category_id),
        'sensitivity': lookups['sensitivity'].get(item.sensitivity_id),
    }
    if entry.kind == 'prompt':
        text = v.body
    else:
        params = v.params if isinstance(v.params, dict) and v.params else None
        meta |= {
            'model': lookups['model'].get(v.model_id),
            'temperature': v.temperature,
            'top_p': v.top_p,
            'max_tokens': v.max_tokens,
            'params': json.dumps(params, ensure_ascii=False, sort_keys=True) if params else None,
        }
        text = v.system_prompt or ''
    return front_matter(meta) + '\n' + text.rstrip('\n') + '\n'


_CONTROL = re.compile(r'[\x00-\x08\x0b-\x1f\x7f]')  # git refuses a NUL in a message; the rest is noise


def _message(entry: _Entry) -> str:
    """The version's note, or "<title> v<number>"; then the trailer that records the version."""
    note = _CONTROL.sub('', (entry.version.note or '').replace('\r\n', '\n')).strip()
    title = ' '.join(_CONTROL.sub(' ', entry.title).split()) or 'Untitled'
    subject = note or f'{title} v{entry.version.number}'
    return f'{subject}\n\n{TRAILER}: {entry.key}\n'


def _git_date(moment: datetime) -> str:
    """A naive UTC timestamp as git's internal date format (seconds since the epoch, UTC)."""
    return f'@{timegm(moment.utctimetuple())} +0000'


# --------------------------------------------------------------------------- the one entry point


def write_history(
    directory: str | Path, *, include_secret: bool = False, author: str = DEFAULT_AUTHOR
) -> GitExportReport:
    """Commit every prompt and agent version not yet in the git repository at ``directory`` (made when it
    is not one), oldest first. Safe to run again and again: what is in the history is never committed twice."""
    name, email = parse_author(author)
    root = Path(directory).expanduser().absolute()
    git = _Git(root, name, email)
    report = GitExportReport(path=root)
    report.created_repo = _open_repo(git)
    _refuse_uncommitted(git)
    written = _written(git)
    paths = _tracked_names(git)
    entries, report.left_out_secret = _entries(include_secret)
    todo = [e for e in entries if e.key not in written]
    report.already = len(entries) - len(todo)
    wanted = {(e.kind, e.item.id) for e in entries}
    gone = {key: rel for key, rel in paths.items() if key not in wanted}
    # Back from the trash (or no longer Secret) with no new version: its latest version is added again.
    with_new = {(e.kind, e.item.id) for e in todo}
    latest: dict[tuple[str, int], _Entry] = {}
    for e in entries:
        if (e.kind, e.item.id) not in paths and (e.kind, e.item.id) not in with_new:
            latest[(e.kind, e.item.id)] = e
    if not todo and not gone and not latest:
        return report
    shown = todo + list(latest.values())
    lookups = {
        'category': _names(Category, {e.item.category_id for e in shown}),
        'sensitivity': _names(SensitivityLevel, {e.item.sensitivity_id for e in shown}),
        'model': {
            m.id: m.label
            for m in LlmModel.select().where(
                LlmModel.id.in_(
                    [e.version.model_id for e in shown if e.kind == 'agent' and e.version.model_id]
                )
            )
        },
    }
    touched: dict[str, None] = {}
    tracked = set(paths.values())
    for entry in todo:
        rel = paths.setdefault((entry.kind, entry.item.id), file_name(entry.kind, entry.item.id, entry.title))
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_document(entry, lookups), encoding='utf-8', newline='\n')
        if rel not in tracked:  # `git commit -- PATH` takes a tracked file as it is; a new one is added once
            git.run('add', '--', rel)
            tracked.add(rel)
        when = _git_date(entry.version.created_at)
        git.run(
            'commit',
            '-q',
            '--no-verify',
            '--allow-empty',
            '--cleanup=whitespace',  # a note's '# heading' line is text, not a comment
            '-F',
            '-',
            '--',
            rel,
            input=_message(entry),
            env={'GIT_AUTHOR_DATE': when, 'GIT_COMMITTER_DATE': when},
        )
        report.commits += 1
        touched[rel] = None
    now = _git_date(utcnow())
    for (kind, item_id), rel in sorted(gone.items()):
        git.run('rm', '-q', '--', rel)
        _commit(git, rel, f'Remove {rel} ({_why_gone(kind, item_id, include_secret)})\n', now)
        report.removed += 1
        touched[rel] = None
    for (kind, item_id), entry in sorted(latest.items()):
        rel = file_name(kind, item_id, entry.title)
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_document(entry, lookups), encoding='utf-8', newline='\n')
        git.run('add', '--', rel)
        _commit(git, rel, f'Restore {entry.title} v{entry.version.number}\n', now)
        report.restored += 1
        touched[rel] = None
    report.files = list(touched)
    return report


def _commit(git: _Git, rel: str, message: str, when: str) -> None:
    git.run(
        'commit',
        '-q',
        '--no-verify',
        '--cleanup=whitespace',
        '-F',
        '-',
        '--',
        rel,
        input=_CONTROL.sub(' ', message.replace('\r', ' ')),
        env={'GIT_AUTHOR_DATE': when, 'GIT_COMMITTER_DATE': when},
    )


def _why_gone(kind: str, item_id: int, include_secret: bool) -> str:
    """Why an item's file leaves the repository, in a few words for the commit message."""
    model = Prompt if kind == 'prompt' else Agent
    item = model.get_or_none(model.id == item_id)
    if item is None:
        return 'deleted for good'
    if item.deleted_at is not None:
        return 'moved to the trash'
    if not include_secret and item.sensitivity_id in sensitivity.restricted_level_ids():
        return 'made Secret'
    if kind == 'prompt' and not item.saved:
        return 'no longer in the library'
    return 'no longer written'


# --------------------------------------------------------------------------- keeping it in step

SETTING_KEY = 'prompt_git'  # {'dir', 'include_secret', 'author'}: the running app repeats the export


def keep_in_step(
    directory: str | Path, *, include_secret: bool = False, author: str = DEFAULT_AUTHOR
) -> None:
    """Remember the repository, so the running app commits new versions there now and then."""
    from . import settings_store  # a sibling; imported here so the export itself stays light

    parse_author(author)
    settings_store.put(
        SETTING_KEY,
        {
            'dir': str(Path(directory).expanduser().absolute()),
            'include_secret': bool(include_secret),
            'author': author,
        },
    )


def stop_keeping() -> None:
    from . import settings_store

    settings_store.delete(SETTING_KEY)


def kept() -> dict[str, Any] | None:
    """The repository the app keeps in step, or None."""
    from . import settings_store

    value = settings_store.get(SETTING_KEY)
    return value if isinstance(value, dict) and value.get('dir') else None


def write_kept() -> GitExportReport | None:
    """One run of ``write_history`` into the kept repository (None when none is set)."""
    setting = kept()
    if setting is None:
        return None
    return write_history(
        setting['dir'],
        include_secret=bool(setting.get('include_secret')),
        author=setting.get('author') or DEFAULT_AUTHOR,
    )
