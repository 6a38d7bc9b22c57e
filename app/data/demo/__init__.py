"""Believable, deterministic demo data of any size (the demo profile, ``outputhub seed``, benchmarks).

``profile`` holds the shape of the data (reference date, sizes, weighted choices), ``generator`` draws
every row from one random stream, ``writer`` inserts them in bulk with columns taken from the models.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from ...errors import ValidationError
from .. import db as dbmod
from ..models import (
    AccuracyLevel,
    AppSetting,
    Conversation,
    LlmModel,
    Message,
    Output,
    Provider,
    RetentionPlan,
    SensitivityLevel,
    Source,
)
from .generator import Generator
from .profile import (
    BULK_CACHE_KB,
    CHUNK_UNITS,
    CONVERSATION_RATIO,
    DEMO_OUTPUTS,
    DEMO_SEED,
    DEMO_STATE_KEY,
    FIXTURE_TIME,
    REFERENCE_DATE,
    SEEDED_TOKEN_MARK,
    relative_seconds,
    timestamp,
)
from .writer import COUNTED_MODELS, ahead, count_key
from .writer import shift_ids as _shift_ids  # a module global, so a test can watch the chunks move

_Generator = Generator  # the name tests use

__all__ = [
    'CHUNK_UNITS',
    'COUNTED_MODELS',
    'DEMO_OUTPUTS',
    'DEMO_SEED',
    'DEMO_STATE_KEY',
    'REFERENCE_DATE',
    'SEEDED_TOKEN_MARK',
    'Generator',
    'ensure_demo_database',
    'seed',
]


def seed(
    outputs: int = 200,
    conversations: int | None = None,
    seed: int = 42,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Add believable demo data to the bound database; return the number of rows added per table.

    ``conversations`` defaults to ``outputs // 5`` (about ten messages each); about 40 % of the outputs
    are captured from a conversation message, the rest are standalone captures. The same seed on the
    same starting database gives identical rows, timestamps included.
    """
    if outputs < 0:
        raise ValidationError('The number of outputs cannot be negative.')
    if conversations is None:
        conversations = outputs // CONVERSATION_RATIO
    if conversations < 0:
        raise ValidationError('The number of conversations cannot be negative.')
    db = dbmod.current()
    gen = Generator(db, seed)
    with db.atomic():
        gen.fixtures()
    # a bigger page cache for this connection while it bulk-loads (~15% faster at 100k outputs)
    cache = db.execute_sql('PRAGMA cache_size').fetchone()[0]
    if outputs + conversations > 20_000:
        db.execute_sql(f'PRAGMA cache_size = {min(cache, -BULK_CACHE_KB)}')
    try:
        _write_content(gen, outputs, conversations, progress)
        gen.finish()
    finally:
        db.execute_sql(f'PRAGMA cache_size = {int(cache)}')
    return {count_key(m): gen.counts.get(count_key(m), 0) for m in COUNTED_MODELS}


def _write_content(
    gen: Generator, outputs: int, conversations: int, progress: Callable[[int, int], None] | None
) -> None:
    """Write conversations, messages and outputs in time order, one transaction per chunk.

    A producer thread generates the next chunk (pure Python) while this thread inserts the
    previous one (SQLite releases the GIL while it works), so the two cores both work.
    """
    total, chunks = gen.chunks(outputs, conversations, CHUNK_UNITS)
    done = 0
    if progress:
        progress(0, total)
    for rows, bases, units in ahead(chunks):
        with gen.db.atomic():
            # Ids were predicted from the table ends; if another writer added rows since, shift ours.
            actual = tuple(gen.bulk.next_id(model) for model in (Conversation, Message, Output))
            if actual != bases:
                rows = _shift_ids(rows, tuple(a - b for a, b in zip(actual, bases, strict=True)))
            gen.insert_chunk(rows)
        done += units
        if progress:
            progress(done, total)


def ensure_demo_database(path: str | Path) -> None:
    """Open the demo database at ``path`` (bound like ``db.connect``), seeding it on first open only.

    A demo database whose seeding was interrupted is recreated from scratch; the marker in
    ``app_setting`` says it is ours, so no user data can be lost.
    """
    path = Path(path).expanduser()
    db = dbmod.connect(path)
    state = AppSetting.get_or_none(AppSetting.key == DEMO_STATE_KEY)
    if state is not None and isinstance(state.value, dict) and state.value.get('status') == 'done':
        return
    if state is not None:
        db.close()
        for suffix in ('', '-wal', '-shm'):
            Path(str(path) + suffix).unlink(missing_ok=True)
        db = dbmod.connect(path)
    elif Output.select().exists() or Conversation.select().exists():
        # content without our marker: someone else's data; never touch it
        return
    stamp = timestamp(relative_seconds(FIXTURE_TIME))
    AppSetting.insert(
        key=DEMO_STATE_KEY, value={'status': 'running'}, updated_at=stamp
    ).on_conflict_replace().execute()
    seed(outputs=DEMO_OUTPUTS, seed=DEMO_SEED)
    with db.atomic():
        _trash_a_few()
        # the default lookups were stamped with the wall clock: pin them so every demo file is identical
        for model in (RetentionPlan, AccuracyLevel, SensitivityLevel, Source, Provider, LlmModel):
            model.update(created_at=FIXTURE_TIME, updated_at=FIXTURE_TIME).execute()
        AppSetting.update(updated_at=FIXTURE_TIME).execute()
        AppSetting.insert(
            key=DEMO_STATE_KEY,
            value={'status': 'done', 'seed': DEMO_SEED, 'outputs': DEMO_OUTPUTS},
            updated_at=FIXTURE_TIME,
        ).on_conflict_replace().execute()


def _trash_a_few() -> None:
    """Give the demo's trash page something to show: a few old outputs and conversations."""
    when = REFERENCE_DATE - timedelta(days=3)
    out_ids = [
        i for (i,) in Output.select(Output.id).where(~Output.favourite).order_by(Output.id).limit(8).tuples()
    ]
    Output.update(deleted_at=when).where(Output.id.in_(out_ids)).execute()
    conv_ids = [
        i for (i,) in Conversation.select(Conversation.id).order_by(Conversation.id).limit(2).tuples()
    ]
    Conversation.update(deleted_at=when).where(Conversation.id.in_(conv_ids)).execute()
