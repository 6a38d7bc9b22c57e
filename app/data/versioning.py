"""What prompt and agent versions share: word-level diffs, ``{{name|default}}`` templates, and per-version
provenance (which outputs and messages each version produced, and how they were rated)."""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from peewee import Model, fn

from ..errors import ValidationError
from .listing import Page, clamp_page
from .models import AgentVersion, LlmModel, Message, Output, PromptVersion

# =========================================================================== templates

# Letters, digits, "_" first; then also spaces, "-" and "." ("{{target audience}}", "{{doc.title}}").
_NAME = re.compile(r'^\w[\w .\-]*$')
_ESCAPE = '\\{{'  # a literal "{{" in a template is written "\{{"


@dataclass(frozen=True)
class TemplateVariable:
    """One ``{{name}}`` or ``{{name|default}}`` in a prompt; ``default`` None means it must be filled."""

    name: str
    default: str | None = None

    @property
    def required(self) -> bool:
        return self.default is None

    def to_json(self) -> dict[str, Any]:
        return {'name': self.name, 'default': self.default, 'required': self.required}


def _line_of(text: str, index: int) -> int:
    return text.count('\n', 0, index) + 1


def _excerpt(text: str, start: int, width: int = 30) -> str:
    piece = text[start : start + width].split('\n', 1)[0]
    return piece + ('…' if len(piece) < len(text) - start else '')


def _parse(body: str) -> list[str | TemplateVariable]:
    """The template as literal text pieces and variables, in order. Raises ValidationError when malformed."""
    parts: list[str | TemplateVariable] = []
    literal: list[str] = []
    pos = 0
    while True:
        start = body.find('{{', pos)
        if start < 0:
            literal.append(body[pos:])
            break
        if start > 0 and body[start - 1] == '\\':
            literal.append(body[pos : start - 1] + '{{')
            pos = start + 2
            continue
        end = body.find('}}', start + 2)
        newline = body.find('\n', start + 2)
        reopened = body.find('{{', start + 2)
        line = _line_of(body, start)
        if end < 0 or (0 <= newline < end) or (0 <= reopened < end):
            raise ValidationError(
                f'The template has an unclosed "{{{{" on line {line} ("{_excerpt(body, start)}"): '
                f'close it with "}}}}", or write "\\{{{{" for literal braces.'
            )
        inner = body[start + 2 : end]
        name, sep, default = inner.partition('|')
        name = ' '.join(name.split())
        if not name:
            raise ValidationError(
                f'The variable "{{{{{inner}}}}}" on line {line} has no name; '
                'write it like {{topic}} or {{topic|a default}}.'
            )
        if not _NAME.match(name):
            raise ValidationError(
                f'"{name}" on line {line} is not a valid variable name; '
                'use letters, digits, spaces, "_", "-" or ".".'
            )
        literal.append(body[pos:start])
        parts.append(''.join(literal))
        literal = []
        parts.append(TemplateVariable(name, default.strip() if sep else None))
        pos = end + 2
    parts.append(''.join(literal))
    return [p for p in parts if p != '']


def check_template(body: str) -> None:
    """Raise ValidationError (one clear sentence) if the template is malformed."""
    _parse(body or '')


def template_variables(body: str) -> list[TemplateVariable]:
    """The distinct variables in order of first appearance. A name used twice keeps the first default given."""
    found: dict[str, TemplateVariable] = {}
    for part in _parse(body or ''):
        if isinstance(part, TemplateVariable):
            known = found.get(part.name)
            if known is None or (known.default is None and part.default is not None):
                found[part.name] = TemplateVariable(part.name, part.default)
    return list(found.values())


def template_problem(body: str) -> str | None:
    """The message of what is wrong with the template, or None when it is fine (for display)."""
    try:
        check_template(body)
    except ValidationError as exc:
        return str(exc)
    return None


def fill_template(body: str, values: dict[str, Any] | None = None, *, strict: bool = True) -> str:
    """The text with every variable replaced by its value (an empty value falls back to the default).

    ``strict``: a variable with neither value nor default raises ValidationError naming it; otherwise it
    stays in the text as ``{{name}}`` (for a live preview while the form is being filled).
    """
    values = {str(k).strip(): v for k, v in (values or {}).items()}
    variables = {v.name: v for v in template_variables(body)}
    out: list[str] = []
    missing: list[str] = []
    for part in _parse(body or ''):
        if isinstance(part, str):
            out.append(part)
            continue
        value = values.get(part.name)
        if value is None or str(value) == '':
            value = part.default if part.default is not None else variables[part.name].default
        if value is None:
            if part.name not in missing:
                missing.append(part.name)
            out.append('{{' + part.name + '}}')
        else:
            out.append(str(value))
    if strict and missing:
        names = ', '.join(missing)
        raise ValidationError(f'Fill in {names} first (no default given).')
    return ''.join(out)


# =========================================================================== diffs

_TOKEN = re.compile(r'\s+|\w+|[^\w\s]')
MAX_WORD_DIFF_TOKENS = 200_000  # per changed block; beyond, it is shown as removed + added text
MATCH_BUDGET = 300_000  # comparisons one difflib matching pass may make (a diff stays well under a second)


@dataclass(frozen=True)
class DiffRun:
    """A stretch of text that is the same in both versions (``equal``), or only in the new one
    (``insert``) or only in the old one (``delete``)."""

    op: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {'op': self.op, 'text': self.text}


@dataclass
class TextDiff:
    """A word-level diff as runs, in order. ``left()`` is the old text, ``right()`` the new one."""

    runs: list[DiffRun]

    @property
    def changed(self) -> bool:
        return any(r.op != 'equal' for r in self.runs)

    @property
    def added_words(self) -> int:
        return sum(len(re.findall(r'\w+', r.text)) for r in self.runs if r.op == 'insert')

    @property
    def removed_words(self) -> int:
        return sum(len(re.findall(r'\w+', r.text)) for r in self.runs if r.op == 'delete')

    def left(self) -> list[DiffRun]:
        return [r for r in self.runs if r.op != 'insert']

    def right(self) -> list[DiffRun]:
        return [r for r in self.runs if r.op != 'delete']

    def to_json(self) -> dict[str, Any]:
        return {
            'changed': self.changed,
            'added_words': self.added_words,
            'removed_words': self.removed_words,
            'runs': [r.to_json() for r in self.runs],
        }

    def plain(self, *, color: bool = False) -> str:
        """git's ``--word-diff`` look: ``[-removed-]{+added+}``; with ``color``, ANSI red/green instead."""
        out = []
        for r in self.runs:
            if r.op == 'equal':
                out.append(r.text)
            elif color:
                out.append(f'\x1b[{"31" if r.op == "delete" else "32"}m{r.text}\x1b[0m')
            else:
                out.append(f'[-{r.text}-]' if r.op == 'delete' else f'{{+{r.text}+}}')
        return ''.join(out)


def _opcodes(a: list[str], b: list[str], *, trim: bool = True) -> list[tuple[str, int, int, int, int]]:
    """``SequenceMatcher.get_opcodes()`` with bounded cost. With ``trim``, the common head and tail are
    taken off first (cheap, and usually most of two versions; words are not trimmed, as a greedy tail
    match splits "line.\n" oddly). In the middle, items that are everywhere (blank
    lines, spaces, "the") are ignored while matching, as difflib's ``autojunk`` does; if matching the
    rest would still take too long, the middle is reported as one replacement."""
    n, m = len(a), len(b)
    head = tail = 0
    while trim and head < n and head < m and a[head] == b[head]:
        head += 1
    while trim and tail < n - head and tail < m - head and a[n - 1 - tail] == b[m - 1 - tail]:
        tail += 1
    ops: list[tuple[str, int, int, int, int]] = []
    if head:
        ops.append(('equal', 0, head, 0, head))
    mid_a, mid_b = a[head : n - tail], b[head : m - tail]
    if mid_a and mid_b:
        counts = Counter(mid_b)
        popular = len(mid_b) // 100 + 1 if len(mid_b) >= 200 else len(mid_b)  # difflib's autojunk rule
        cost = 0  # comparisons one matching pass makes over the items that are not junk
        for x in mid_a:
            c = counts.get(x, 0)
            if c <= popular:
                cost += c
        if cost > MATCH_BUDGET:
            ops.append(('replace', head, n - tail, head, m - tail))
        else:
            matcher = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=True)
            ops += [
                (op, i1 + head, i2 + head, j1 + head, j2 + head)
                for op, i1, i2, j1, j2 in matcher.get_opcodes()
            ]
    elif mid_a:
        ops.append(('delete', head, n - tail, head, head))
    elif mid_b:
        ops.append(('insert', head, head, head, m - tail))
    if tail:
        ops.append(('equal', n - tail, n, m - tail, m))
    return ops


def _token_runs(a: str, b: str) -> list[DiffRun]:
    ta, tb = _TOKEN.findall(a), _TOKEN.findall(b)
    if len(ta) + len(tb) > MAX_WORD_DIFF_TOKENS:
        return [DiffRun('delete', a), DiffRun('insert', b)]
    runs: list[DiffRun] = []
    for op, i1, i2, j1, j2 in _opcodes(ta, tb, trim=False):
        if op == 'equal':
            runs.append(DiffRun('equal', ''.join(ta[i1:i2])))
        else:
            if i2 > i1:
                runs.append(DiffRun('delete', ''.join(ta[i1:i2])))
            if j2 > j1:
                runs.append(DiffRun('insert', ''.join(tb[j1:j2])))
    return runs


def _tidy(runs: list[DiffRun]) -> list[DiffRun]:
    """Readable runs: whitespace alone between two changes joins them ("[-quick brown-]{+slow red+}"
    rather than "[-quick-]{+slow+} [-brown-]{+red+}"); in each change, the deletion comes first;
    neighbours of the same kind are merged; empty runs dropped."""
    runs = [r for r in runs if r.text]
    out: list[DiffRun] = []
    i = 0
    while i < len(runs):
        if runs[i].op == 'equal':
            out.append(runs[i])
            i += 1
            continue
        deleted: list[str] = []
        inserted: list[str] = []
        while i < len(runs):
            r = runs[i]
            if r.op == 'delete':
                deleted.append(r.text)
            elif r.op == 'insert':
                inserted.append(r.text)
            elif (
                not r.text.strip() and '\n' not in r.text and i + 1 < len(runs) and runs[i + 1].op != 'equal'
            ):
                deleted.append(r.text)
                inserted.append(r.text)
            else:
                break
            i += 1
        if deleted:
            out.append(DiffRun('delete', ''.join(deleted)))
        if inserted:
            out.append(DiffRun('insert', ''.join(inserted)))
    merged: list[DiffRun] = []
    for r in out:
        if merged and merged[-1].op == r.op:
            merged[-1] = DiffRun(r.op, merged[-1].text + r.text)
        else:
            merged.append(r)
    return merged


# A line, or a sentence within a long line: the units matched before words are.
_SEGMENT_BREAK = re.compile(r'(?<=\n)|(?<=[.!?] )')


def _segments(text: str) -> list[str]:
    return [part for part in _SEGMENT_BREAK.split(text) if part]


def word_diff(old: str, new: str) -> TextDiff:
    """Word-level diff of two texts. Lines and sentences are matched first (fast on long prompts), then
    words inside the ones that changed."""
    old, new = old or '', new or ''
    if old == new:
        return TextDiff([DiffRun('equal', old)] if old else [])
    la, lb = _segments(old), _segments(new)
    runs: list[DiffRun] = []
    # Compared without trailing whitespace: the last line of a text has no newline.
    for op, i1, i2, j1, j2 in _opcodes([seg.rstrip() for seg in la], [seg.rstrip() for seg in lb]):
        a, b = ''.join(la[i1:i2]), ''.join(lb[j1:j2])
        if op == 'equal' and a == b:
            runs.append(DiffRun('equal', a))
        elif op == 'delete':
            runs.append(DiffRun('delete', a))
        elif op == 'insert':
            runs.append(DiffRun('insert', b))
        else:
            runs.extend(_token_runs(a, b))
    return TextDiff(_tidy(runs))


@dataclass(frozen=True)
class FieldChange:
    """One setting of an agent version, before and after."""

    name: str
    old: Any
    new: Any

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def to_json(self) -> dict[str, Any]:
        return {'name': self.name, 'old': self.old, 'new': self.new, 'changed': self.changed}


@dataclass
class AgentDiff:
    """Two agent versions compared: the system prompt word by word, and every setting side by side."""

    system_prompt: TextDiff
    fields: list[FieldChange]

    @property
    def changed_fields(self) -> list[FieldChange]:
        return [f for f in self.fields if f.changed]

    @property
    def changed(self) -> bool:
        return self.system_prompt.changed or bool(self.changed_fields)

    def to_json(self) -> dict[str, Any]:
        return {
            'changed': self.changed,
            'system_prompt': self.system_prompt.to_json(),
            'fields': [f.to_json() for f in self.fields],
        }

    def plain(self, *, color: bool = False) -> str:
        lines = [f'{f.name}: {_show(f.old)} -> {_show(f.new)}' for f in self.changed_fields]
        if self.system_prompt.changed:
            lines += ['system prompt:', self.system_prompt.plain(color=color)]
        return '\n'.join(lines) if lines else 'No differences.'


def _show(value: Any) -> str:
    return '(none)' if value is None else str(value)


def _model_label(model_id: int | None, labels: dict[int, str]) -> str | None:
    if model_id is None:
        return None
    return labels.get(model_id, f'model #{model_id}')


def agent_settings(version: AgentVersion, model_labels: dict[int, str] | None = None) -> dict[str, Any]:
    """The settings of a version as display values: model (its name), temperature, top_p, max_tokens and
    each extra parameter as ``params.KEY`` (JSON text)."""
    labels = model_labels if model_labels is not None else _labels([version.model_id])
    settings: dict[str, Any] = {
        'model': _model_label(version.model_id, labels),
        'temperature': version.temperature,
        'top_p': version.top_p,
        'max_tokens': version.max_tokens,
    }
    params = version.params if isinstance(version.params, dict) else {}
    for key in sorted(params):
        settings[f'params.{key}'] = json.dumps(params[key], ensure_ascii=False, sort_keys=True)
    return settings


def _labels(model_ids: list[int | None]) -> dict[int, str]:
    ids = [i for i in model_ids if i]
    if not ids:
        return {}
    return {m.id: m.label for m in LlmModel.select().where(LlmModel.id.in_(ids))}


def agent_diff(old: AgentVersion, new: AgentVersion) -> AgentDiff:
    labels = _labels([old.model_id, new.model_id])
    a, b = agent_settings(old, labels), agent_settings(new, labels)
    names = list(a) + [k for k in b if k not in a]
    return AgentDiff(
        system_prompt=word_diff(old.system_prompt or '', new.system_prompt or ''),
        fields=[FieldChange(n, a.get(n), b.get(n)) for n in names],
    )


# =========================================================================== provenance

_VERSION_MODEL: dict[str, type[Model]] = {'prompt': PromptVersion, 'agent': AgentVersion}


def _fields(kind: str) -> tuple[type[Model], Any, Any, Any]:
    """(version model, its owner column, Output's column, Message's column) for 'prompt' or 'agent'."""
    if kind == 'prompt':
        return PromptVersion, PromptVersion.prompt, Output.prompt_version, Message.prompt_version
    if kind == 'agent':
        return AgentVersion, AgentVersion.agent, Output.agent_version, Message.agent_version
    raise ValidationError(f'Only prompts and agents have versions, not {kind!r}.')


@dataclass
class VersionStats:
    """One version with what it produced: outputs (not in the trash), their ratings, and chat messages."""

    version: Model
    outputs: int = 0
    rated: int = 0
    avg_rating: float | None = None
    messages: int = 0
    is_current: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            'id': self.version.id,
            'number': self.version.number,
            'note': self.version.note,
            'created_at': self.version.created_at,
            'current': self.is_current,
            'outputs': self.outputs,
            'rated_outputs': self.rated,
            'avg_rating': self.avg_rating,
            'messages': self.messages,
        }


def version_stats(kind: str, owner_id: int, current_version_id: int | None) -> list[VersionStats]:
    """Every version of a prompt or agent, newest first, with its provenance figures (three queries)."""
    vmodel, owner, out_col, msg_col = _fields(kind)
    versions = list(vmodel.select().where(owner == owner_id).order_by(vmodel.number.desc()))
    ids = vmodel.select(vmodel.id).where(owner == owner_id)
    stats = {v.id: VersionStats(v, is_current=v.id == current_version_id) for v in versions}
    rows = (
        Output.select(
            out_col.alias('vid'),
            fn.COUNT(Output.id).alias('n'),
            fn.COUNT(Output.rating).alias('rated'),
            fn.AVG(Output.rating).alias('avg'),
        )
        .where(out_col.in_(ids) & Output.deleted_at.is_null())
        .group_by(out_col)
        .dicts()
    )
    for row in rows:
        s = stats.get(row['vid'])
        if s is not None:
            s.outputs, s.rated = row['n'], row['rated']
            s.avg_rating = round(row['avg'], 2) if row['avg'] is not None else None
    for row in (
        Message.select(msg_col.alias('vid'), fn.COUNT(Message.id).alias('n'))
        .where(msg_col.in_(ids))
        .group_by(msg_col)
        .dicts()
    ):
        s = stats.get(row['vid'])
        if s is not None:
            s.messages = row['n']
    return [stats[v.id] for v in versions]


def version_outputs(kind: str, version_id: int, *, page: int = 1, per_page: int = 20) -> Page[Output]:
    """Outputs (not in the trash) a version produced, newest first, with ``.llm_model`` loaded."""
    _, _, out_col, _ = _fields(kind)
    q = Output.select().where((out_col == version_id) & Output.deleted_at.is_null())
    total = q.count()
    page, per_page = clamp_page(page, per_page, total)
    items = list(q.order_by(Output.created_at.desc(), Output.id.desc()).paginate(page, per_page))
    labels = {
        m.id: m for m in LlmModel.select().where(LlmModel.id.in_({o.model_id for o in items if o.model_id}))
    }
    for o in items:
        o.llm_model = labels.get(o.model_id)
    return Page(items=items, total=total, page=page, per_page=per_page)


@dataclass
class OutputComparison:
    """The outputs of two versions side by side (the compare view)."""

    old: VersionStats
    new: VersionStats
    old_outputs: list[Output] = field(default_factory=list)
    new_outputs: list[Output] = field(default_factory=list)


def compare_outputs(
    kind: str, stats: list[VersionStats], old_number: int, new_number: int, *, limit: int = 10
) -> OutputComparison:
    """Pick two versions (by number) out of ``version_stats`` and load each one's latest outputs."""
    by_number = {s.version.number: s for s in stats}
    for n in (old_number, new_number):
        if n not in by_number:
            raise ValidationError(f'There is no version {n} to compare.')
    old, new = by_number[old_number], by_number[new_number]
    return OutputComparison(
        old,
        new,
        version_outputs(kind, old.version.id, per_page=limit).items,
        version_outputs(kind, new.version.id, per_page=limit).items,
    )
