"""Prompts and their immutable versions: create, add a version, restore, mark current, diff, provenance."""

from __future__ import annotations

from datetime import datetime

from peewee import fn

from ..errors import NotFound, ValidationError
from . import sensitivity, versioning
from .db import write_tx
from .models import Category, Prompt, PromptVersion, utcnow
from .text import first_line_title
from .versioning import TextDiff, VersionStats, word_diff

MAX_BODY = 500_000


def _clean_body(body: str) -> str:
    body = (body or '').replace('\r\n', '\n').strip('\n')
    if not body.strip():
        raise ValidationError('A prompt needs some text.')
    if len(body) > MAX_BODY:
        raise ValidationError(
            f'That prompt is too long ({len(body):,} characters; the limit is {MAX_BODY:,}).'
        )
    return body


def get_prompt(prompt_id: int) -> Prompt:
    prompt = Prompt.get_or_none(Prompt.id == prompt_id)
    if prompt is None:
        raise NotFound(f'Prompt {prompt_id} does not exist.')
    return prompt


def create_prompt(
    title: str,
    body: str,
    *,
    description: str | None = None,
    note: str | None = None,
    category: int | None = None,
    created_at: datetime | None = None,
    saved: bool = True,
) -> Prompt:
    """A new prompt with its first version. ``saved=False``: a text kept only as the provenance of a
    capture or a chat question (listed under "From captures and chats", not in the library)."""
    body = _clean_body(body)
    title = (title or '').strip() or first_line_title(body)
    now = created_at or utcnow()
    with write_tx():
        prompt = Prompt.create(
            title=title[:255],
            description=description,
            category=category,
            created_at=now,
            updated_at=now,
            saved=saved,
        )
        version = PromptVersion.create(prompt=prompt, number=1, body=body, note=note, created_at=now)
        prompt.current_version = version
        prompt.save(touch=False)
    return prompt


def new_version(prompt_id: int, body: str, note: str | None = None) -> PromptVersion:
    """Record an edit as a new version (and make it current). An unchanged body adds nothing.
    Editing a prompt from a capture or a chat saves it to the library: someone now maintains it."""
    body = _clean_body(body)
    with write_tx():
        prompt = get_prompt(prompt_id)
        current = PromptVersion.get_or_none(PromptVersion.id == prompt.current_version_id)
        if current is not None and current.body == body:
            return current
        number = (
            PromptVersion.select(fn.MAX(PromptVersion.number))
            .where(PromptVersion.prompt == prompt_id)
            .scalar()
            or 0
        ) + 1
        version = PromptVersion.create(
            prompt=prompt_id, number=number, body=body, note=(note or '').strip() or None
        )
        Prompt.update(current_version=version.id, updated_at=utcnow(), saved=True).where(
            Prompt.id == prompt_id
        ).execute()
    return version


def versions(prompt_id: int) -> list[PromptVersion]:
    """Every version, newest first."""
    return list(
        PromptVersion.select().where(PromptVersion.prompt == prompt_id).order_by(PromptVersion.number.desc())
    )


def get_version(version_id: int) -> PromptVersion:
    version = PromptVersion.get_or_none(PromptVersion.id == version_id)
    if version is None:
        raise NotFound(f'Prompt version {version_id} does not exist.')
    return version


def find_version_by_body(body: str) -> PromptVersion | None:
    """The newest version, of a prompt not in the trash, whose text is exactly ``body``."""
    body = (body or '').replace('\r\n', '\n').strip('\n')
    return (
        PromptVersion.select()
        .join(Prompt, on=(PromptVersion.prompt == Prompt.id))
        .where((PromptVersion.body == body) & Prompt.deleted_at.is_null())
        .order_by(PromptVersion.id.desc())
        .first()
    )


def version_for_text(body: str, title: str | None = None) -> PromptVersion:
    """The version holding this exact text, or a new prompt (titled from its first line) holding it.

    A new one is not saved to the library: it is the provenance of a capture or a chat question, listed
    under "From captures and chats" until someone saves it (``save_to_library``)."""
    found = find_version_by_body(body)
    if found is not None:
        return found
    prompt = create_prompt(title or '', body, saved=False)
    return PromptVersion.get_by_id(prompt.current_version_id)


def search_versions(
    text: str = '', limit: int = 12, *, exclude_restricted: bool = False
) -> list[PromptVersion]:
    """Versions of prompts whose title matches ``text`` (current versions first), with ``.prompt`` loaded."""
    q = (
        PromptVersion.select(PromptVersion, Prompt)
        .join(Prompt, on=(PromptVersion.prompt == Prompt.id))
        .where(Prompt.deleted_at.is_null())
    )
    text = (text or '').strip()
    if text:
        q = q.where(Prompt.title.contains(text))
    if exclude_restricted:  # a LAN device or token not allowed to see Secret prompts
        q = sensitivity.exclude_restricted(q, Prompt)
    is_current = PromptVersion.id == Prompt.current_version
    return list(
        q.order_by(is_current.desc(), Prompt.updated_at.desc(), PromptVersion.number.desc()).limit(limit)
    )


# --------------------------------------------------------------------------- history, restore, provenance


def version_by_number(prompt_id: int, number: int) -> PromptVersion:
    version = PromptVersion.get_or_none(
        (PromptVersion.prompt == prompt_id) & (PromptVersion.number == number)
    )
    if version is None:
        get_prompt(prompt_id)
        raise NotFound(f'Prompt {prompt_id} has no version {number}.')
    return version


def current_version(prompt_id: int) -> PromptVersion | None:
    prompt = get_prompt(prompt_id)
    return PromptVersion.get_or_none(PromptVersion.id == prompt.current_version_id)


def set_current(prompt_id: int, number: int) -> PromptVersion:
    """Make an existing version the current one (the one used, copied and shown). Adds no version."""
    with write_tx():
        version = version_by_number(prompt_id, number)
        Prompt.update(current_version=version.id, updated_at=utcnow()).where(Prompt.id == prompt_id).execute()
    return version


def restore_version(prompt_id: int, number: int, note: str | None = None) -> PromptVersion:
    """A new version whose text is that of version ``number`` (history is never rewritten).
    When the current version already has that text, it is returned unchanged."""
    old = version_by_number(prompt_id, number)
    return new_version(prompt_id, old.body, note=note or f'Restored from v{number}')


def diff_versions(prompt_id: int, old_number: int, new_number: int) -> TextDiff:
    """Word-level diff from version ``old_number`` to version ``new_number``."""
    old = version_by_number(prompt_id, old_number)
    new = version_by_number(prompt_id, new_number)
    return word_diff(old.body, new.body)


def version_stats(prompt_id: int) -> list[VersionStats]:
    """Every version, newest first, with the outputs and messages it produced and their average rating."""
    prompt = get_prompt(prompt_id)
    return versioning.version_stats('prompt', prompt_id, prompt.current_version_id)


def mark_used(prompt_id: int) -> None:
    """Count a use (copied, sent to a chat): "most used" sorts by it."""
    with write_tx():
        Prompt.update(use_count=Prompt.use_count + 1, last_used_at=utcnow()).where(
            Prompt.id == prompt_id
        ).execute()


def category_counts(limit: int = 12) -> list[tuple[Category, int]]:
    """The categories prompts (not in the trash) are filed under, most used first."""
    n = fn.COUNT(Prompt.id).alias('n')
    rows = (
        Category.select(Category, n)
        .join(Prompt, on=(Prompt.category == Category.id))
        .where(Prompt.deleted_at.is_null())
        .group_by(Category.id)
        .order_by(n.desc(), Category.name)
        .limit(limit)
    )
    return [(row, row.n) for row in rows]


# --------------------------------------------------------------------------- the library and the rest


def save_to_library(prompt_id: int) -> Prompt:
    """Put a prompt that came with a capture or a chat question into the library. Its versions, and so
    the outputs and messages they produced, stay exactly as they are."""
    with write_tx():
        prompt = get_prompt(prompt_id)
        if not prompt.saved:
            Prompt.update(saved=True, updated_at=utcnow()).where(Prompt.id == prompt_id).execute()
            prompt.saved = True
    return prompt


def unsaved_count(*, exclude_restricted: bool = False) -> int:
    """How many prompts (not in the trash) came only from captures and chats."""
    q = Prompt.select().where(Prompt.deleted_at.is_null() & (Prompt.saved == False))  # noqa: E712
    if exclude_restricted:
        q = sensitivity.exclude_restricted(q, Prompt)
    return q.count()


def saved_prompts(*, limit: int | None = None, exclude_restricted: bool = False) -> list[Prompt]:
    """The library: saved prompts not in the trash that have a text, by title, each with ``.current``
    (its current ``PromptVersion``) loaded. For anything that offers the library elsewhere (MCP prompts).
    ``exclude_restricted``: leave out Secret prompts (a LAN device or token without permission)."""
    q = (
        Prompt.select(Prompt, PromptVersion)
        .join(PromptVersion, on=(Prompt.current_version == PromptVersion.id), attr='current')
        .where(Prompt.deleted_at.is_null() & (Prompt.saved == True))  # noqa: E712
    )
    if exclude_restricted:
        q = sensitivity.exclude_restricted(q, Prompt)
    q = q.order_by(fn.LOWER(Prompt.title), Prompt.id)
    if limit is not None:
        q = q.limit(limit)
    return list(q)
