"""The prompt library as MCP prompts: ``prompts/list`` names every saved prompt the caller may see, with
its template's ``{{variables}}`` as arguments; ``prompts/get`` fills in the current version (or the one
given as ``version``), counts a use and remembers the text, so an output saved with it as its prompt is
counted against that version. Synchronous; the server runs these in a worker thread."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..data import entities, prompts, versioning
from ..data.listing import ListParams
from ..errors import NotFound, ValidationError
from . import tools

MAX_PROMPTS = 1000
VERSION_ARGUMENT = 'version'


@dataclass(frozen=True)
class Argument:
    name: str
    description: str
    required: bool


@dataclass(frozen=True)
class PromptEntry:
    name: str
    title: str
    description: str
    arguments: list[Argument]


@dataclass(frozen=True)
class Filled:
    description: str
    text: str


def prompt_name(prompt_id: int, title: str) -> str:
    """A stable, readable name: the title's words and the id ("code-review-12")."""
    slug = re.sub(r'[^a-z0-9]+', '-', (title or '').lower()).strip('-')[:48].strip('-')
    return f'{slug}-{prompt_id}' if slug else f'prompt-{prompt_id}'


def _id_of(name: str) -> int:
    tail = (name or '').rsplit('-', 1)[-1]
    if not tail.isdigit() or len(tail) > 12:
        raise NotFound(f'There is no prompt called {name!r}.')
    return int(tail)


def _arguments(body: str, *, with_version: bool) -> list[Argument]:
    out = []
    for v in versioning.template_variables(body):
        hint = f'Default: {v.default}' if v.default is not None else 'Required.'
        out.append(Argument(v.name, f'{{{{{v.name}}}}} in the prompt. {hint}', v.default is None))
    if with_version and all(a.name != VERSION_ARGUMENT for a in out):
        out.append(Argument(VERSION_ARGUMENT, 'A version number (default: the current version).', False))
    return out


def list_prompts(caller: tools.Caller) -> list[PromptEntry]:
    """The saved prompts the caller may see (not in the trash), most used first."""
    entries: list[PromptEntry] = []
    page = 1
    while len(entries) < MAX_PROMPTS:
        params = ListParams(
            sort='use_count', desc=True, page=page, per_page=200, exclude_restricted=caller.hide_restricted
        )
        result = entities.list_items('prompt', params)
        for p in result.items:
            version = getattr(p, 'current', None)
            body = version.body if version is not None else ''
            entries.append(
                PromptEntry(
                    prompt_name(p.id, p.title),
                    p.title,
                    (p.description or '').strip() or _first_line(body),
                    _arguments(body, with_version=True),
                )
            )
        if page >= result.pages:
            break
        page += 1
    return entries[:MAX_PROMPTS]


def _first_line(body: str) -> str:
    line = next((ln.strip() for ln in (body or '').splitlines() if ln.strip()), '')
    return line if len(line) <= 200 else line[:199] + '…'


def get_prompt(caller: tools.Caller, name: str, arguments: dict[str, str] | None) -> Filled:
    """The prompt filled in with ``arguments``; a use is counted on the prompt."""
    prompt_id = _id_of(name)
    try:
        prompt = prompts.get_prompt(prompt_id)
    except NotFound:
        raise NotFound(f'There is no prompt called {name!r}.') from None
    caller.check_visible('Prompt', prompt.id, prompt.sensitivity_id)
    if prompt.deleted_at is not None:
        raise NotFound(f'There is no prompt called {name!r}.')
    values = dict(arguments or {})
    current = prompts.current_version(prompt.id)
    uses_version_variable = current is not None and any(
        v.name == VERSION_ARGUMENT for v in versioning.template_variables(current.body)
    )
    wanted = None if uses_version_variable else (values.pop(VERSION_ARGUMENT, '') or '').strip()
    if wanted:
        if not wanted.lstrip('v').isdigit():
            raise ValidationError(f'The version is a number, like 2 (not {wanted!r}).')
        version = prompts.version_by_number(prompt.id, int(wanted.lstrip('v')))
    else:
        version = current
    if version is None:
        raise NotFound(f'Prompt {prompt.id} has no version yet.')
    text = versioning.fill_template(version.body, values, strict=True)
    prompts.mark_used(prompt.id)
    tools.remember_rendered(text, version.id)
    return Filled(f'{prompt.title} (version {version.number})', text)
