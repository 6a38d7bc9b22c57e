"""Precomputed numbers for the graph (each item's degree) and the dashboard (per-day totals), kept
fresh by marking what changed.

Computing them from scratch reads every relation of 100k outputs / 1M messages (seconds), so they
are stored, and cheap triggers only *mark* what a write touched: ``graph_dirty`` holds items whose
degree may have changed, ``stat_dirty_day`` days whose totals may have changed. Readers
(app/data/graph.py, app/data/dashboard.py) recompute just the marked items / days before they
answer. A mark's ``gen`` is bumped when it is marked again, so a reader only clears the marks it
has actually recomputed. The row ``('*', 0)`` / day ``'*'`` means "recompute everything" (set
here, because the tables start empty).

Triggers never look up a parent row that a foreign-key action may already have deleted, and fire
only when a column they care about really changed (an idempotent re-import stays cheap).
"""

DIRTY_NODE = 'INSERT INTO graph_dirty (kind, id) SELECT {kind}, {id} WHERE ({id}) IS NOT NULL ON CONFLICT (kind, id) DO UPDATE SET gen = gen + 1;'
DIRTY_NODES = 'INSERT INTO graph_dirty (kind, id) SELECT {kind}, {id} {source} ON CONFLICT (kind, id) DO UPDATE SET gen = gen + 1;'
DIRTY_DAY = 'INSERT INTO stat_dirty_day (day) SELECT substr({ts}, 1, 10) WHERE ({ts}) IS NOT NULL ON CONFLICT (day) DO UPDATE SET gen = gen + 1;'
DIRTY_DAYS = 'INSERT INTO stat_dirty_day (day) SELECT DISTINCT substr({ts}, 1, 10) {source} ON CONFLICT (day) DO UPDATE SET gen = gen + 1;'


def node(kind: str, id_expr: str) -> str:
    return DIRTY_NODE.format(kind=f"'{kind}'", id=id_expr)


def nodes(kind: str, id_expr: str, source: str) -> str:
    return DIRTY_NODES.format(kind=f"'{kind}'", id=id_expr, source=source)


def day(ts: str) -> str:
    return DIRTY_DAY.format(ts=ts)


def prompt_of(version: str) -> str:
    return f'(SELECT prompt_id FROM prompt_version WHERE id = {version})'


def agent_of(version: str) -> str:
    return f'(SELECT agent_id FROM agent_version WHERE id = {version})'


def changed(*columns: str) -> str:
    return ' OR '.join(f'old.{c} IS NOT new.{c}' for c in columns)


TABLES = [
    'CREATE TABLE graph_degree (kind TEXT NOT NULL, id INTEGER NOT NULL, degree INTEGER NOT NULL, '
    'PRIMARY KEY (kind, id)) WITHOUT ROWID',
    'CREATE INDEX graph_degree_rank ON graph_degree (degree DESC, id DESC, kind)',
    'CREATE TABLE graph_dirty (kind TEXT NOT NULL, id INTEGER NOT NULL, gen INTEGER NOT NULL DEFAULT 1, '
    'PRIMARY KEY (kind, id)) WITHOUT ROWID',
    'CREATE TABLE stat_dirty_day (day TEXT NOT NULL PRIMARY KEY, gen INTEGER NOT NULL DEFAULT 1) WITHOUT ROWID',
    # one row per day, kind ('output' / 'message'), model and agent version
    'CREATE TABLE stat_activity (day TEXT NOT NULL, kind TEXT NOT NULL, model_id INTEGER, '
    'agent_version_id INTEGER, n INTEGER NOT NULL, input_tokens INTEGER NOT NULL, '
    'output_tokens INTEGER NOT NULL, cost REAL NOT NULL)',
    'CREATE INDEX stat_activity_day ON stat_activity (day)',
    'CREATE TABLE stat_tag (day TEXT NOT NULL, tag_id INTEGER NOT NULL, n INTEGER NOT NULL)',
    'CREATE INDEX stat_tag_day ON stat_tag (day)',
    'CREATE TABLE stat_rating (day TEXT NOT NULL, prompt_version_id INTEGER NOT NULL, n INTEGER NOT NULL, '
    'total INTEGER NOT NULL)',
    'CREATE INDEX stat_rating_day ON stat_rating (day)',
    'CREATE TABLE stat_source (day TEXT NOT NULL, source_id INTEGER, outputs INTEGER NOT NULL, '
    'conversations INTEGER NOT NULL)',
    'CREATE INDEX stat_source_day ON stat_source (day)',
    "INSERT INTO graph_dirty (kind, id) VALUES ('*', 0)",
    "INSERT INTO stat_dirty_day (day) VALUES ('*')",
]

# (table, owner kind, owner column, other kind, other column): every junction is an edge
JUNCTIONS = [
    ('output_tag', 'output', 'output_id', 'tag', 'tag_id'),
    ('conversation_tag', 'conversation', 'conversation_id', 'tag', 'tag_id'),
    ('prompt_tag', 'prompt', 'prompt_id', 'tag', 'tag_id'),
    ('agent_tag', 'agent', 'agent_id', 'tag', 'tag_id'),
    ('collection_output', 'output', 'output_id', 'collection', 'collection_id'),
    ('collection_conversation', 'conversation', 'conversation_id', 'collection', 'collection_id'),
    ('collection_prompt', 'prompt', 'prompt_id', 'collection', 'collection_id'),
    ('collection_agent', 'agent', 'agent_id', 'collection', 'collection_id'),
    ('output_link', 'output', 'a_id', 'output', 'b_id'),
]


def junction_triggers() -> list[str]:
    out = []
    for table, owner, owner_col, other, other_col in JUNCTIONS:
        for event, row in (('INSERT', 'new'), ('DELETE', 'old')):
            body = node(owner, f'{row}.{owner_col}') + node(other, f'{row}.{other_col}')
            if table == 'output_tag':  # the dashboard's "most used tags" counts per capture day
                body += day(f'(SELECT created_at FROM output WHERE id = {row}.output_id)')
            out.append(
                f'CREATE TRIGGER {table}_stats_{event[0].lower()} AFTER {event} ON {table} BEGIN {body} END'
            )
        # nothing updates a junction row today; if something ever does, both old and new ends change
        body = ''.join(
            node(kind, f'{row}.{col}')
            for row in ('old', 'new')
            for kind, col in ((owner, owner_col), (other, other_col))
        )
        if table == 'output_tag':
            body += day('(SELECT created_at FROM output WHERE id = old.output_id)')
            body += day('(SELECT created_at FROM output WHERE id = new.output_id)')
        out.append(f'CREATE TRIGGER {table}_stats_u AFTER UPDATE ON {table} BEGIN {body} END')
    return out


def neighbours(kind: str, row: str) -> str:
    """Mark everything linked to an item whose liveness (trash) changed: all their degrees change."""
    parts = [
        nodes('tag', 'tag_id', f'FROM {kind}_tag WHERE {kind}_id = {row}.id'),
        nodes('collection', 'collection_id', f'FROM collection_{kind} WHERE {kind}_id = {row}.id'),
    ]
    if kind == 'output':
        parts += [
            nodes('output', 'b_id', f'FROM output_link WHERE a_id = {row}.id'),
            nodes('output', 'a_id', f'FROM output_link WHERE b_id = {row}.id'),
            node('prompt', prompt_of(f'{row}.prompt_version_id')),
            node('agent', agent_of(f'{row}.agent_version_id')),
            node('conversation', f'{row}.conversation_id'),
        ]
    elif kind == 'conversation':
        parts.append(nodes('output', 'id', f'FROM output WHERE conversation_id = {row}.id'))
    elif kind == 'prompt':
        parts.append(
            nodes(
                'output',
                'o.id',
                f'FROM output o JOIN prompt_version v ON v.id = o.prompt_version_id WHERE v.prompt_id = {row}.id',
            )
        )
    elif kind == 'agent':
        parts.append(
            nodes(
                'output',
                'o.id',
                f'FROM output o JOIN agent_version v ON v.id = o.agent_version_id WHERE v.agent_id = {row}.id',
            )
        )
    return ''.join(parts)


OUTPUT_STATS = (
    'created_at',
    'deleted_at',
    'model_id',
    'agent_version_id',
    'prompt_version_id',
    'rating',
    'source_id',
    'message_id',
    'input_tokens',
    'output_tokens',
    'cost',
)
MESSAGE_STATS = (
    'created_at',
    'conversation_id',
    'model_id',
    'agent_version_id',
    'input_tokens',
    'output_tokens',
    'cost',
)


def output_triggers() -> list[str]:
    links = ('prompt_version_id', 'agent_version_id', 'conversation_id')
    provenance_new = (
        node('prompt', prompt_of('new.prompt_version_id'))
        + node('agent', agent_of('new.agent_version_id'))
        + node('conversation', 'new.conversation_id')
    )
    provenance_old = (
        node('prompt', prompt_of('old.prompt_version_id'))
        + node('agent', agent_of('old.agent_version_id'))
        + node('conversation', 'old.conversation_id')
    )
    return [
        'CREATE TRIGGER output_stats_i AFTER INSERT ON output BEGIN '
        + node('output', 'new.id')
        + provenance_new
        + day('new.created_at')
        + ' END',
        'CREATE TRIGGER output_stats_d AFTER DELETE ON output BEGIN '
        + node('output', 'old.id')
        + provenance_old
        + day('old.created_at')
        + ' END',
        f'CREATE TRIGGER output_graph_u AFTER UPDATE OF {", ".join(links)} ON output WHEN {changed(*links)} BEGIN '
        + node('output', 'new.id')
        + provenance_old
        + provenance_new
        + ' END',
        'CREATE TRIGGER output_trash_u AFTER UPDATE OF deleted_at ON output '
        'WHEN (old.deleted_at IS NULL) <> (new.deleted_at IS NULL) BEGIN '
        + node('output', 'new.id')
        + neighbours('output', 'new')
        + ' END',
        f'CREATE TRIGGER output_stats_u AFTER UPDATE OF {", ".join(OUTPUT_STATS)} ON output '
        f'WHEN {changed(*OUTPUT_STATS)} BEGIN ' + day('old.created_at') + day('new.created_at') + ' END',
    ]


def owner_triggers(kind: str) -> list[str]:
    """Conversations, prompts and agents: trash and delete change their neighbours' degrees."""
    out = [
        f'CREATE TRIGGER {kind}_trash_u AFTER UPDATE OF deleted_at ON {kind} '
        'WHEN (old.deleted_at IS NULL) <> (new.deleted_at IS NULL) BEGIN '
        + node(kind, 'new.id')
        + neighbours(kind, 'new')
        + (
            DIRTY_DAYS.format(ts='created_at', source='FROM message WHERE conversation_id = new.id')
            + day('new.created_at')
            if kind == 'conversation'
            else ''
        )
        + ' END',
        f'CREATE TRIGGER {kind}_stats_d AFTER DELETE ON {kind} BEGIN '
        + node(kind, 'old.id')
        + (day('old.created_at') if kind == 'conversation' else '')
        + ' END',
    ]
    if kind == 'conversation':
        out += [
            'CREATE TRIGGER conversation_stats_i AFTER INSERT ON conversation BEGIN '
            + day('new.created_at')
            + ' END',
            'CREATE TRIGGER conversation_stats_u AFTER UPDATE OF created_at, source_id ON conversation '
            f'WHEN {changed("created_at", "source_id")} BEGIN '
            + day('old.created_at')
            + day('new.created_at')
            + ' END',
        ]
    return out


def message_triggers() -> list[str]:
    return [
        'CREATE TRIGGER message_stats_i AFTER INSERT ON message BEGIN ' + day('new.created_at') + ' END',
        'CREATE TRIGGER message_stats_d AFTER DELETE ON message BEGIN ' + day('old.created_at') + ' END',
        f'CREATE TRIGGER message_stats_u AFTER UPDATE OF {", ".join(MESSAGE_STATS)} ON message '
        f'WHEN {changed(*MESSAGE_STATS)} BEGIN ' + day('old.created_at') + day('new.created_at') + ' END',
    ]


STATEMENTS = [
    *TABLES,
    *junction_triggers(),
    *output_triggers(),
    *owner_triggers('conversation'),
    *owner_triggers('prompt'),
    *owner_triggers('agent'),
    *message_triggers(),
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)
