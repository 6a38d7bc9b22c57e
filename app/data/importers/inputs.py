"""Opening what the user points at (a zip, a folder, a JSON file, an SQLite file) and telling its format
from its content, never from its name."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path, PurePosixPath
from typing import IO, Any

import ijson

from ...errors import UserError

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - optional speed-up
    _orjson = None

ZIP_MAGIC = b'PK\x03\x04'
EMPTY_ZIP_MAGIC = b'PK\x05\x06'
SQLITE_MAGIC = b'SQLite format 3\x00'

# Which JSON files in a zip or folder can hold conversations (the content still decides the format).
_CONVERSATIONS_NAME = re.compile(r'^conversations(?:-(\d+))?\.json$', re.IGNORECASE)
_PROJECTS_NAME = re.compile(r'^projects\.json$', re.IGNORECASE)
SNIFF_EVENTS = 200_000
BOMB_MIN_SIZE = 64 * 1024 * 1024
BOMB_RATIO = 100  # JSON exports compress about 5-10x
# What the documents read from one zip may unpack to, together and each (exports of heavy users run to
# hundreds of MB); checked against the zip's directory and again against the bytes actually inflated.
ZIP_MAX_TOTAL = 4 * 1024**3
ZIP_MAX_ENTRY = 2 * 1024**3
# No export nests deeper than a few dozen levels; ijson's memory grows with the square of the depth
# (100k nested brackets, a 200 KB file, took 8.8 GB), so deeper documents are refused before it parses them.
MAX_DEPTH = 256
# The longest text (one JSON string) a document may hold: parsing, storing and indexing it costs about
# five times its size in memory, and no export carries a single message this long.
MAX_STRING = 32 * 1024**2
READ_MAX_CHUNK = 8 * 1024**2

# kinds a JSON document can be
CHATGPT = 'chatgpt'
CLAUDE = 'claude'
CLAUDE_PROJECTS = 'claude_projects'
OUTPUTHUB = 'outputhub'
# coding-agent sessions: JSON Lines, one file per session (Claude Code sub-agents in files of their own)
CLAUDE_CODE = 'claude_code'
CODEX = 'codex'
JSONL_KINDS = (CLAUDE_CODE, CODEX)
# one JSON document per conversation or per export, told apart by their keys
GEMINI_CLI = 'gemini_cli'
GROK = 'grok'
DEEPSEEK = 'deepseek'
AISTUDIO = 'aistudio'
TAKEOUT = 'gemini_takeout'
LECHAT = 'lechat'
PERPLEXITY = 'perplexity'
OPENWEBUI = 'openwebui'
LIBRECHAT = 'librechat'
NEW_JSON_KINDS = (GEMINI_CLI, GROK, DEEPSEEK, AISTUDIO, TAKEOUT, LECHAT, PERPLEXITY, OPENWEBUI, LIBRECHAT)
CONVERSATION_KINDS = (CHATGPT, CLAUDE, OUTPUTHUB, *JSONL_KINDS, *NEW_JSON_KINDS)
# A folder or zip without the usual export file names: at most this many .json/.jsonl files are looked
# into (their content decides), at most this deep (~/.codex/sessions/YYYY/MM/DD/rollout-….jsonl).
SCAN_MAX_FILES = 50_000
SCAN_MAX_DEPTH = 6
SESSION_SUFFIXES = ('.jsonl', '.json')
# The longest line of a session file read (a tool result holding a big file); longer lines are skipped.
MAX_LINE = MAX_STRING
SNIFF_LINES = 40
SNIFF_LINE_MAX = 4 * 1024**2


@dataclass
class JsonDoc:
    """One JSON document inside the input, with how to stream its conversations."""

    name: str
    opener: Callable[[], IO[bytes]]
    kind: str = ''
    prefix: str = 'item'  # ijson prefix of the items ('' = the document is one conversation)
    count: int = 0
    slow: bool = False  # parse with ijson's Python backend: the C one cannot decode a lone surrogate
    max_bytes: int | None = None  # a zip member: more than its directory declares is refused
    jsonl: bool = False  # JSON Lines (a coding-agent session), read line by line
    session: str | None = None  # a session file's session id (from its content)
    agent: str | None = None  # a Claude Code sub-agent file's agent id
    related: list[JsonDoc] = field(default_factory=list)  # the sub-agent files of a session
    mtime: float | None = None  # when the file was last written (epoch seconds): a date for files without any
    folder: str = ''  # a single file's folder name (a Gemini CLI saved chat's project hash)


@dataclass
class ImportInput:
    path: Path
    container: str  # file | zip | folder | sqlite
    docs: list[JsonDoc] = field(default_factory=list)
    format: str = ''
    _zip: zipfile.ZipFile | None = None

    @property
    def total(self) -> int:
        return sum(d.count for d in self.docs if d.kind in CONVERSATION_KINDS and d.kind != OUTPUTHUB)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None


def _split_order(name: str) -> tuple[int, str]:
    m = _CONVERSATIONS_NAME.match(PurePosixPath(name).name)
    return (int(m.group(1)) if m and m.group(1) else -1, name)


def _unsafe_member(name: str) -> bool:
    parts = name.replace('\\', '/').split('/')
    return (
        name.startswith(('/', '\\')) or '..' in parts or bool(re.match(r'^[A-Za-z]:', name)) or '\x00' in name
    )


def _candidates(names: list[str]) -> list[str]:
    """Conversation files (split ``conversations-NNN.json`` in number order, else ``conversations.json``),
    then ``projects.json``."""
    conv = [n for n in names if _CONVERSATIONS_NAME.match(PurePosixPath(n).name)]
    split = [n for n in conv if _split_order(n)[0] >= 0]
    chosen = sorted(split, key=_split_order) if split else sorted(conv)
    projects = sorted(n for n in names if _PROJECTS_NAME.match(PurePosixPath(n).name))
    return chosen + projects


@contextmanager
def open_input(path: str | Path) -> Iterator[ImportInput]:
    """Open and check the input: raises UserError (nothing written yet) when it is not an export."""
    p = Path(path).expanduser()
    if not p.exists():
        raise UserError(f'{p} does not exist.')
    inp = _open(p)
    try:
        yield inp
    finally:
        inp.close()


def _open(p: Path) -> ImportInput:
    if p.is_dir():
        names = []
        for child in sorted(p.rglob('*.json')):
            rel = child.relative_to(p)
            if len(rel.parts) <= 3 and child.is_file():
                names.append(str(rel.as_posix()))
        chosen = _candidates(names)
        if not chosen:
            chosen = _scan_folder(p)
        if not chosen:
            raise UserError(
                f'{p} holds no conversations.json, session files or other export files: '
                'point at an unpacked export or a sessions folder.'
            )
        inp = ImportInput(p, 'folder')
        inp.docs = [
            JsonDoc(n, (lambda f=p / n: open(f, 'rb')), mtime=(p / n).stat().st_mtime)  # noqa: SIM115 - the caller closes it
            for n in chosen
        ]
        return _detect(inp)
    if not p.is_file():
        raise UserError(f'{p} is not a file or folder.')
    with open(p, 'rb') as fh:
        head = fh.read(16)
    if not head:
        raise UserError(f'{p.name} is empty.')
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return _open_zip(p)
    if head.startswith(SQLITE_MAGIC):
        return ImportInput(p, 'sqlite', format='llm')
    inp = ImportInput(
        p,
        'file',
        docs=[JsonDoc(p.name, lambda: open(p, 'rb'), mtime=p.stat().st_mtime, folder=p.parent.name)],  # noqa: SIM115
    )
    return _detect(inp)


def _open_zip(p: Path) -> ImportInput:
    try:
        zf = zipfile.ZipFile(p)
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UserError(f'{p.name} is not a readable zip file ({exc}).') from exc
    bad = [n for n in names if _unsafe_member(n)]
    if bad:
        zf.close()
        raise UserError(
            f'{p.name} contains unsafe paths (like {bad[0]!r}); it is not an export and was not read.'
        )
    chosen = _candidates(names) or _scan_names(names)
    if not chosen:
        zf.close()
        raise UserError(
            f'{p.name} is a zip file without conversations.json or session files: it does not look like an export.'
        )
    infos = [zf.getinfo(name) for name in chosen]
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    for info in infos:
        # the directory's sizes stop a zip bomb before reading; the reader counts what really inflates
        too_big = info.file_size > ZIP_MAX_ENTRY or total > ZIP_MAX_TOTAL
        if too_big or (
            info.file_size > BOMB_MIN_SIZE and info.file_size > BOMB_RATIO * max(info.compress_size, 1)
        ):
            zf.close()
            raise UserError(f'{p.name} unpacks to an implausible size ({info.filename}); it was not read.')
    if total > BOMB_MIN_SIZE and total > BOMB_RATIO * max(packed, 1):  # many entries, each under the limit
        zf.close()
        raise UserError(f'{p.name} unpacks to an implausible size ({mib(total)} MB); it was not read.')
    inp = ImportInput(p, 'zip', _zip=zf)
    inp.docs = [
        JsonDoc(i.filename, (lambda n=i.filename: zf.open(n)), max_bytes=i.file_size, mtime=_zip_time(i))
        for i in infos
    ]
    try:
        return _detect(inp)
    except BaseException:
        zf.close()
        raise


def _scan_names(names: list[str]) -> list[str]:
    """Every .json / .jsonl name (not too deep, not too many): the content decides what each one is."""
    out = []
    for n in sorted(names):
        if (
            PurePosixPath(n).suffix.lower() in SESSION_SUFFIXES
            and len(PurePosixPath(n).parts) <= SCAN_MAX_DEPTH
        ):
            out.append(n)
            if len(out) >= SCAN_MAX_FILES:
                break
    return out


def _scan_folder(p: Path) -> list[str]:
    names = []
    for child in p.rglob('*'):
        if child.suffix.lower() in SESSION_SUFFIXES and child.is_file():
            names.append(child.relative_to(p).as_posix())
            if len(names) >= SCAN_MAX_FILES * 2:
                break
    return _scan_names(names)


def _zip_time(info: zipfile.ZipInfo) -> float | None:
    try:
        return datetime(*info.date_time, tzinfo=UTC).timestamp()
    except (TypeError, ValueError):
        return None


def mib(size: int) -> str:
    return f'{size / 1024**2:,.0f}'


def _detect(inp: ImportInput) -> ImportInput:
    scanned = inp.container in ('folder', 'zip') and not any(
        _CONVERSATIONS_NAME.match(PurePosixPath(d.name).name) for d in inp.docs
    )
    for doc in inp.docs:
        kind = sniff_jsonl(doc)
        if kind:
            doc.kind, doc.prefix, doc.jsonl, doc.count = kind, '', True, 1
            continue
        try:
            doc.kind, doc.prefix = sniff(doc)
        except UserError:
            if not scanned:
                raise
            doc.kind = 'unknown'  # one of many files in a sessions folder that is not JSON: not ours
    if scanned:
        inp.docs = [d for d in inp.docs if d.kind in CONVERSATION_KINDS]
        _group_sessions(inp)
    kinds = {d.kind for d in inp.docs}
    conv_kinds = kinds & set(CONVERSATION_KINDS)
    if len(conv_kinds) > 1:
        raise UserError(
            f'{inp.path.name} mixes export formats ({", ".join(sorted(conv_kinds))}); import them one by one.'
        )
    if conv_kinds:
        inp.format = conv_kinds.pop()
    elif CLAUDE_PROJECTS in kinds:
        inp.format = CLAUDE
    elif kinds == {'empty'}:
        raise UserError(f'{inp.path.name} holds no conversations (an empty list).')
    else:
        raise UserError(
            f'{inp.path.name} is not a ChatGPT, Claude, Gemini, Grok, DeepSeek, Le Chat, Perplexity, Open WebUI, '
            'LibreChat, llm or Output Hub export, nor a Claude Code, Codex or Gemini CLI session.'
        )
    inp.docs = [d for d in inp.docs if d.kind in (inp.format, CLAUDE_PROJECTS) or d.kind == 'empty']
    if inp.format == OUTPUTHUB and len(inp.docs) != 1:
        raise UserError('An Output Hub export is one JSON file; import it on its own.')
    if inp.format == CLAUDE_CODE and inp.container == 'file':
        _group_sessions(inp)
    return inp


def _group_sessions(inp: ImportInput) -> None:
    """Claude Code sub-agent files (``<session>/subagents/agent-*.jsonl``, or ``agent-*.jsonl`` beside the
    session in 2.0.x) join their session's document: one conversation, not one per sub-agent."""
    mains = {d.session: d for d in inp.docs if d.kind == CLAUDE_CODE and d.agent is None and d.session}
    kept = []
    for d in inp.docs:
        owner = mains.get(d.session) if d.kind == CLAUDE_CODE and d.agent is not None else None
        if owner is not None:
            owner.related.append(d)
        else:
            kept.append(d)
    inp.docs = kept


_CLAUDE_CODE_TYPES = {'user', 'assistant', 'system', 'progress', 'attachment'}
_CLAUDE_CODE_AUX = {
    'summary',
    'file-history-snapshot',
    'queue-operation',
    'permission-mode',
    'mode',
    'custom-title',
    'agent-name',
    'last-prompt',
}
_CODEX_TYPES = {'session_meta', 'turn_context', 'response_item', 'event_msg', 'compacted'}
_CODEX_ITEMS = {'message', 'reasoning', 'function_call', 'function_call_output'}


def sniff_jsonl(doc: JsonDoc) -> str | None:
    """``claude_code`` | ``codex`` when the document is JSON Lines of one of them (its first lines
    decide), else None (then it may still be a JSON document). Sets the session id (and a sub-agent's id)."""
    try:
        with doc.opener() as fh:
            _skip_bom(fh)
            objs = []
            while len(objs) < SNIFF_LINES:
                line = fh.readline(SNIFF_LINE_MAX)
                if not line:
                    break
                if not line.strip():
                    continue
                if not line.lstrip().startswith(b'{'):
                    if not objs:
                        return None  # an array ([…]: ChatGPT, Claude, …) or not JSON at all
                    break
                if len(line) >= SNIFF_LINE_MAX and not line.endswith(b'\n'):
                    if not objs:
                        return None  # one huge line: a JSON document, not a session
                    break
                obj = parse_line(line)
                if obj is None:
                    if not objs and line.endswith(b'\n'):
                        return None  # a pretty-printed JSON document starts with a lone "{"
                    break  # a session still being written: its last line may be cut
                objs.append(obj)
    except (zipfile.BadZipFile, OSError, EOFError):
        return None
    return _jsonl_kind(doc, objs)


def _jsonl_kind(doc: JsonDoc, objs: list[dict]) -> str | None:
    head = objs[0] if objs else {}
    if 'sessionId' in head and 'projectHash' in head and 'uuid' not in head:
        doc.session = str(head['sessionId'])
        return GEMINI_CLI  # the JSON Lines form of a Gemini CLI session: a header, then one message a line
    claude = codex = 0
    for o in objs:
        t = o.get('type')
        if isinstance(o.get('payload'), dict) and t in _CODEX_TYPES and 'timestamp' in o:
            codex += 1
            if t == 'session_meta' and doc.session is None:
                doc.session = str(o['payload'].get('id') or '') or None
        elif o.get('record_type') == 'state' or (
            t in _CODEX_ITEMS and 'sessionId' not in o and 'uuid' not in o
        ):
            codex += 1  # the legacy rollout: a header line, state markers, bare response items
        elif 'instructions' in o and 'id' in o and 'timestamp' in o and 'sessionId' not in o and not codex:
            codex += 1
            doc.session = doc.session or str(o['id'])
        elif t in _CLAUDE_CODE_TYPES and 'sessionId' in o and 'uuid' in o:
            claude += 1
            doc.session = doc.session or str(o['sessionId'])
            if o.get('agentId') and o.get('isSidechain') and doc.agent is None:
                doc.agent = str(o['agentId'])
        elif t in _CLAUDE_CODE_AUX:
            continue
        else:
            return None if not (claude or codex) else (CLAUDE_CODE if claude >= codex else CODEX)
    if claude and not codex:
        return CLAUDE_CODE
    if codex and not claude:
        return CODEX
    if (
        objs
        and all(o.get('type') in _CLAUDE_CODE_AUX for o in objs)
        and any(o.get('type') == 'summary' and 'leafUuid' in o for o in objs)
    ):
        return CLAUDE_CODE  # only summaries so far (a session that was resumed elsewhere)
    return None


def parse_line(line: bytes) -> dict | None:
    """One JSON Lines record, or None when the line is not a complete JSON object (or nests deeper than
    MAX_DEPTH, like a JSON document would be refused for)."""
    if line.count(b'[') + line.count(b'{') > MAX_DEPTH:
        try:
            _GuardedReader(io.BytesIO(line), '', None).read(-1)
        except UserError:
            return None
    if _orjson is not None:
        try:
            obj = _orjson.loads(line)
            return obj if isinstance(obj, dict) else None
        except ValueError:
            pass  # a lone surrogate (orjson refuses it) or really broken: the standard parser decides
    try:
        obj = json.loads(line)
        return _clean(obj) if isinstance(obj, dict) else None
    except (ValueError, RecursionError):
        return None


def iter_lines(doc: JsonDoc, on_bad: Callable[[], None]) -> Iterator[dict]:
    """Stream a JSON Lines document's records; a line that is not a JSON object (a session still being
    written ends mid-line) or longer than MAX_LINE is skipped and ``on_bad()`` called for it."""
    with doc.opener() as fh:
        _skip_bom(fh)
        read = 0
        while True:
            line = fh.readline(MAX_LINE)
            if not line:
                return
            read += len(line)
            if doc.max_bytes is not None and read > doc.max_bytes:
                raise UserError(
                    f'{doc.name} unpacks to more than its zip directory says; nothing was imported.'
                )
            if len(line) >= MAX_LINE and not line.endswith(b'\n'):
                while line and not line.endswith(b'\n'):  # skip the rest of an absurdly long line
                    line = fh.readline(READ_MAX_CHUNK)
                on_bad()
                continue
            if not line.strip():
                continue
            obj = parse_line(line)
            if obj is None:
                on_bad()
                continue
            yield obj


def _kind_from_keys(keys: set[str]) -> str | None:
    if 'format' in keys and 'outputhub' in keys:  # marker pair, see sniff()
        return OUTPUTHUB
    if 'mapping' in keys and 'inserted_at' in keys:
        return DEEPSEEK  # a mapping tree too, but DeepSeek's: ``inserted_at``, no ``create_time``
    if 'current_node' in keys or ('mapping' in keys and ('create_time' in keys or 'update_time' in keys)):
        return CHATGPT
    if 'chat_messages' in keys:
        return CLAUDE
    if 'prompt_template' in keys or ('docs' in keys and 'uuid' in keys):
        return CLAUDE_PROJECTS
    if 'chatId' in keys and ('contentChunks' in keys or 'role' in keys and 'createdAt' in keys):
        return LECHAT
    return None


def _object_kind(keys: set[str]) -> str | None:
    """The kind of a document that is one JSON object, from its top-level keys."""
    if 'sessionId' in keys and ('projectHash' in keys or 'startTime' in keys):
        return GEMINI_CLI
    if 'chunkedPrompt' in keys:
        return AISTUDIO
    if 'entries' in keys and keys & {'thread_metadata', 'has_next_page', 'background_entries', 'next_cursor'}:
        return PERPLEXITY
    if 'conversationId' in keys and keys & {'messagesTree', 'messages'}:
        return LIBRECHAT  # LibreChat's "Export conversation", as its own importer tells it
    return None


# where an Open WebUI chat keeps its tree: ``history: {messages: {<id>: …}, currentId}`` (an object; a Gemini
# CLI saved chat's ``history`` is a list), in a chat row (``chat.history``) or in a bare chat
_OPENWEBUI_HISTORY = {'history', 'chat.history', 'item.history', 'item.chat.history'}
_OPENWEBUI_KEYS = {'messages', 'currentId'}


def sniff(doc: JsonDoc) -> tuple[str, str]:
    """(kind, items prefix) from the first keys of the document; reads only its head."""
    try:
        try:
            with doc.opener() as fh:
                return _sniff_events(ijson.parse(_reader(doc, fh), use_float=True))
        except UnicodeDecodeError:
            doc.slow = True  # a lone surrogate escape near the top (see _clean); the Python parser reads it
            with doc.opener() as fh:
                return _sniff_events(_PY_IJSON.parse(_reader(doc, fh), use_float=True))
    except UserError:
        raise
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(
            f'{doc.name} is not an export: not JSON, a zip file or an SQLite database ({_short(exc)}).'
        ) from exc
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise UserError(f'{doc.name} cannot be read ({_short(exc)}).') from exc


def _sniff_events(events: Iterator[tuple[str, str, Any]]) -> tuple[str, str]:
    first = next(events, None)
    if first is None:
        return 'empty', 'item'
    _, event, _ = first
    if event == 'start_array':
        keys: set[str] = set()
        candidate = None  # a ``mapping`` seen: ChatGPT unless DeepSeek's keys follow before the item ends
        for n, (prefix, ev, value) in enumerate(events):
            if prefix == '' and ev == 'end_array':
                return ('empty', 'item') if n == 0 else ('unknown', 'item')
            if prefix == 'item' and ev == 'map_key':
                keys.add(value)
                kind = _kind_from_keys(keys)
                if kind:
                    return kind, ('' if kind == LECHAT else 'item')  # a Le Chat file is one chat's messages
                if {'role', 'parts'} <= keys:
                    return GEMINI_CLI, ''  # a Gemini CLI saved chat (``/chat save``), the older bare history
                if 'mapping' in keys:
                    candidate = CHATGPT
            elif prefix in _OPENWEBUI_HISTORY and ev == 'map_key' and value in _OPENWEBUI_KEYS:
                return OPENWEBUI, 'item'  # "Export All Chats": an array of chat rows
            elif prefix in ('item.header', 'item.products.item') and ev == 'string':
                if 'Gemini' in value or 'Bard' in value:
                    return TAKEOUT, 'item'
            elif prefix == 'item' and ev not in ('start_map', 'map_key'):  # the first item ended: no match
                return (candidate or 'unknown'), 'item'
            if n > SNIFF_EVENTS:
                break
        return (candidate or 'unknown'), 'item'
    if event != 'start_map':
        return 'unknown', 'item'
    keys = set()
    wrapped = False
    item_keys: set[str] = set()
    for n, (prefix, ev, value) in enumerate(events):
        if prefix == '' and ev == 'map_key':
            keys.add(value)
            if value == 'conversations':
                wrapped = True
            kind = _kind_from_keys(keys) or _object_kind(keys)
            if kind and kind != OUTPUTHUB:
                return kind, ''
        elif prefix in _OPENWEBUI_HISTORY and ev == 'map_key' and value in _OPENWEBUI_KEYS:
            return OPENWEBUI, ''  # one Open WebUI chat: a row, or the bare chat object
        elif prefix == 'history.item' and ev == 'map_key' and value == 'parts' and 'sessionId' not in keys:
            return GEMINI_CLI, ''  # a Gemini CLI saved chat (``/chat save``): ``{history: [Content]}``
        elif prefix == 'format' and ev == 'string' and value == 'outputhub':
            return OUTPUTHUB, 'records.item'
        elif wrapped and prefix == 'conversations.item' and ev == 'map_key':
            keys.add(value)
            item_keys.add(value)
            kind = _kind_from_keys({k for k in keys if k in ('mapping', 'current_node', 'chat_messages')})
            if kind:
                return kind, 'conversations.item'
            if {'conversation', 'responses'} <= item_keys:
                return GROK, 'conversations.item'
            if {'query', 'answer'} <= item_keys:
                return PERPLEXITY, ''  # an exporter's wrapper around one thread
        if n > SNIFF_EVENTS:
            break
    return 'unknown', ''


def _short(exc: BaseException) -> str:
    # yajl's messages draw an arrow over several lines (sometimes as bytes); one short line is enough
    arg = exc.args[0] if exc.args else ''
    raw = arg.decode('utf-8', 'replace') if isinstance(arg, bytes) else str(exc)
    text = (raw.strip().splitlines() or [''])[0].strip() or type(exc).__name__
    return text[:160]


def _skip_bom(fh: IO[bytes]) -> IO[bytes]:
    """Files saved by some Windows tools start with a UTF-8 byte order mark, which JSON parsers reject."""
    if fh.read(3) != b'\xef\xbb\xbf':
        fh.seek(0)
    return fh


_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_STRING_REST = re.compile(rb'(?:[^"\\]++|\\.)*+', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b'[]{}')
_STEP = bytes.maketrans(b'[{]}', b'\x01\x01\xff\xff')  # +1 / -1 as signed bytes


class _GuardedReader:
    """What the JSON parsers read: the document's bytes, refused (UserError) as soon as they nest deeper
    than MAX_DEPTH, hold a text longer than MAX_STRING or (a zip member) inflate past the size its
    directory declares — checked on each chunk before the parser sees it. A cheap byte scan (brackets
    outside strings) in C-speed passes: about 250 MB/s."""

    def __init__(self, fh: IO[bytes], name: str, max_bytes: int | None) -> None:
        self._fh = fh
        self._name = name
        self._max_bytes = max_bytes
        self._read = 0
        self._depth = 0
        self._in_string = False
        self._escape = False  # the chunk ended on the backslash of an escape inside a string
        self._run = 0  # bytes of the string still open at the end of the last chunk

    def read(self, size: int = -1) -> bytes:
        if size is not None and 0 < size < self._run:
            # yajl lexes an unfinished string again from its start on every chunk (quadratic: a 50 MB
            # text took 20 s in 64 KB chunks): chunks grow with the string, which keeps it linear
            size = min(self._run, READ_MAX_CHUNK)
        data = self._fh.read(size)
        if data:
            self._read += len(data)
            if self._max_bytes is not None and self._read > self._max_bytes:
                raise UserError(
                    f'{self._name} unpacks to more than its zip directory says; nothing was imported.'
                )
            self._scan(data)
        return data

    def _scan(self, data: bytes) -> None:
        pos = 0
        if self._in_string:
            end = self._string_end(data, 1 if self._escape else 0)
            if (self._run + (len(data) if end < 0 else end)) > MAX_STRING:
                raise UserError(
                    f'{self._name} holds a text longer than {mib(MAX_STRING)} MB, which no export does; '
                    'nothing was imported.'
                )
            if end < 0:
                self._run += len(data)
                return
            pos, self._in_string, self._run = end + 1, False, 0
        outside = _STRING.sub(b'', data[pos:] if pos else data)
        quote = outside.find(b'"')  # what remains of a quote opens a string that goes on in the next chunk
        if quote >= 0:
            tail = outside[quote + 1 :]
            outside = outside[:quote]
            self._in_string, self._run = True, len(tail)
            self._escape = b'\\' in tail and _STRING_REST.match(tail).end() < len(tail)
        brackets = outside.translate(None, _NOT_BRACKET)
        if not brackets:
            return
        steps = memoryview(brackets.translate(_STEP)).cast('b')
        if max(accumulate(steps, initial=self._depth)) > MAX_DEPTH:
            raise UserError(
                f'{self._name} nests deeper than {MAX_DEPTH} levels, which no export does; nothing was imported.'
            )
        closes = brackets.count(b']') + brackets.count(b'}')
        self._depth += len(brackets) - 2 * closes

    def _string_end(self, data: bytes, pos: int) -> int:
        """Where the open string closes in ``data`` (its quote), or -1 when it goes on past the chunk."""
        self._escape = False
        quote = data.find(b'"', pos)
        if data.find(b'\\', pos, quote if quote >= 0 else len(data)) < 0:
            return quote  # no escape before it: the common case, at memchr speed
        end = _STRING_REST.match(data, pos).end()
        if end == len(data):
            return -1
        if data[end] == 0x5C:  # a backslash whose escaped byte comes in the next chunk
            self._escape = True
            return -1
        return end


def _reader(doc: JsonDoc, fh: IO[bytes]) -> _GuardedReader:
    return _GuardedReader(_skip_bom(fh), doc.name, doc.max_bytes)


# An emoji cut in half leaves a lone UTF-16 surrogate escape (\\udc00) in a JSON export. That is valid
# JSON, but ijson's C backend fails on it (UnicodeDecodeError: the whole import would be refused) and
# SQLite cannot store it as UTF-8 (the conversation would be skipped): such a document is parsed with the
# Python backend and its lone surrogates become U+FFFD. Found by the reliability suite's property tests.
_PY_IJSON = ijson.get_backend('python')
_SURROGATE = re.compile('[\ud800-\udfff]')


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub('\ufffd', value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


def iter_items(doc: JsonDoc) -> Iterator[Any]:
    """Stream the document's items (one conversation at a time: bounded memory)."""
    with doc.opener() as fh:
        if doc.slow:
            for item in _PY_IJSON.items(_reader(doc, fh), doc.prefix, use_float=True):
                yield _clean(item)
        else:
            yield from ijson.items(_reader(doc, fh), doc.prefix, use_float=True)


class ImportStopped(Exception):
    """The person stopped the import while the file was still being read: nothing was written."""


def validate(
    inp: ImportInput,
    progress: Callable[[int, int | None], None] | None = None,
    cancel: threading.Event | None = None,
) -> None:
    """Read every document once before writing anything: a truncated or corrupt file is refused whole.
    Raises ImportStopped as soon as ``cancel`` is set (a big export takes a while to read)."""

    def count_items(doc: JsonDoc) -> int:
        count = 0
        for _ in iter_items(doc):
            count += 1
            if cancel is not None and cancel.is_set():
                raise ImportStopped(doc.name)
        return count

    for doc in inp.docs:
        if doc.kind == 'empty' or doc.jsonl:
            continue  # a session file is read line by line when imported: a broken line is skipped, not fatal
        if cancel is not None and cancel.is_set():
            raise ImportStopped(doc.name)
        try:
            try:
                count = count_items(doc)
            except UnicodeDecodeError:
                if doc.slow:
                    raise
                doc.slow = True  # a lone surrogate escape: read it again with the Python parser
                count = count_items(doc)
        except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError, ValueError) as exc:
            raise UserError(
                f'{doc.name} is not complete, valid JSON ({_short(exc)}); nothing was imported.'
            ) from exc
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise UserError(f'{doc.name} cannot be read ({_short(exc)}); nothing was imported.') from exc
        doc.count = count


def open_sqlite_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection to another program's SQLite file (we never write to it)."""
    uri = f'file:{path.resolve().as_posix()}?mode=ro'
    try:
        conn = sqlite3.connect(uri, uri=True)
        conn.row_factory = sqlite3.Row
        conn.execute('SELECT count(*) FROM sqlite_master').fetchone()
    except sqlite3.DatabaseError as exc:
        raise UserError(f'{path.name} is not a readable SQLite database ({exc}).') from exc
    return conn
