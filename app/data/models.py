"""Peewee models: core entities, lookups, junctions, versions, settings.

The schema itself is created by the numbered migrations in ``migrations/``; these classes must
match what the migrations build (a test compares them).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from peewee import (
    BooleanField,
    CharField,
    Check,
    CompositeKey,
    DateTimeField,
    DeferredForeignKey,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from .db import database_proxy


def utcnow() -> datetime:
    """Naive UTC timestamp (how every datetime is stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


class JSONField(TextField):
    """JSON stored as text; None stays NULL."""

    def db_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(',', ':'))

    def python_value(self, value: str | None) -> Any:
        if value is None:
            return None
        try:
            return json.loads(value)
        except (TypeError, ValueError):
            return value


class BaseModel(Model):
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    def save(self, *args: Any, touch: bool = True, **kwargs: Any) -> int:
        if touch and self._pk is not None:
            self.updated_at = utcnow()
        return super().save(*args, **kwargs)

    class Meta:
        database = database_proxy
        legacy_table_names = False


# --------------------------------------------------------------------------- lookups


class RetentionPlan(BaseModel):
    name = CharField(unique=True, collation='NOCASE')
    days = IntegerField(null=True)  # None = keep forever
    description = TextField(null=True)
    sort_order = IntegerField(default=0)


class AccuracyLevel(BaseModel):
    name = CharField(unique=True, collation='NOCASE')
    rank = IntegerField(default=0)  # higher = more trustworthy
    color = CharField(null=True)
    description = TextField(null=True)


class SensitivityLevel(BaseModel):
    name = CharField(unique=True, collation='NOCASE')
    rank = IntegerField(default=0)  # higher = more sensitive
    restricted = BooleanField(default=False)  # hidden from LAN devices / API tokens unless allowed
    color = CharField(null=True)
    description = TextField(null=True)


class Tag(BaseModel):
    name = CharField(unique=True, collation='NOCASE')
    color = CharField(null=True)
    description = TextField(null=True)


class Category(BaseModel):
    name = CharField(unique=True, collation='NOCASE')
    color = CharField(null=True)
    description = TextField(null=True)
    retention = ForeignKeyField(RetentionPlan, null=True, on_delete='SET NULL', backref='+')


class Source(BaseModel):
    name = CharField(unique=True, collation='NOCASE')
    kind = CharField(default='manual')  # manual | chatgpt | claude | llm | chat | api | demo | other
    description = TextField(null=True)


class Collection(BaseModel):
    name = CharField(unique=True, collation='NOCASE')
    description = TextField(null=True)
    notes = TextField(null=True)
    color = CharField(null=True)
    retention = ForeignKeyField(RetentionPlan, null=True, on_delete='SET NULL', backref='+')
    source = ForeignKeyField(Source, null=True, on_delete='SET NULL', backref='+')
    external_id = CharField(null=True)  # the item's id in its source (export), for idempotent imports

    class Meta:
        indexes = ((('source', 'external_id'), True),)


class Provider(BaseModel):
    name = CharField(unique=True, collation='NOCASE')
    kind = CharField(default='openai_compatible')  # openai | anthropic | openai_compatible | google | local
    base_url = CharField(null=True)
    color = CharField(null=True)


class LlmModel(BaseModel):
    provider = ForeignKeyField(Provider, on_delete='CASCADE', backref='models')
    name = CharField(collation='NOCASE')  # the API id, e.g. "gpt-4o"
    display_name = CharField(null=True)
    input_price = FloatField(null=True)  # USD per million input tokens
    output_price = FloatField(null=True)  # USD per million output tokens
    context_window = IntegerField(null=True)
    is_active = BooleanField(default=True)

    class Meta:
        table_name = 'llm_model'
        indexes = ((('provider', 'name'), True),)

    @property
    def label(self) -> str:
        return self.display_name or self.name


# --------------------------------------------------------------------------- core content


class ContentModel(BaseModel):
    """Fields every main entity (output, conversation, prompt, agent) shares."""

    favourite = BooleanField(default=False)
    rating = IntegerField(null=True, constraints=[Check('rating IS NULL OR rating BETWEEN 1 AND 5')])
    notes = TextField(null=True)
    category = ForeignKeyField(Category, null=True, on_delete='SET NULL', backref='+')
    sensitivity = ForeignKeyField(SensitivityLevel, null=True, on_delete='SET NULL', backref='+')
    retention = ForeignKeyField(RetentionPlan, null=True, on_delete='SET NULL', backref='+')
    keep = BooleanField(default=False)  # never purged by a retention plan
    source = ForeignKeyField(Source, null=True, on_delete='SET NULL', backref='+')
    external_id = CharField(null=True)  # the item's id in its source (export), for idempotent imports
    last_viewed_at = DateTimeField(null=True)
    deleted_at = DateTimeField(null=True)  # set = in the trash


class Prompt(ContentModel):
    title = CharField()
    description = TextField(null=True)
    current_version = DeferredForeignKey('PromptVersion', null=True, on_delete='SET NULL', backref='+')
    use_count = IntegerField(default=0)
    last_used_at = DateTimeField(null=True)
    # In the library (True), or a text kept only as the provenance of a capture or a chat question (False).
    saved = BooleanField(default=True)

    class Meta:
        indexes = ((('source', 'external_id'), True), (('saved', 'updated_at'), False))


class PromptVersion(Model):
    """An immutable version of a prompt (a trigger refuses updates)."""

    prompt = ForeignKeyField(Prompt, on_delete='CASCADE', backref='versions')
    number = IntegerField()
    body = TextField()
    note = TextField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        database = database_proxy
        legacy_table_names = False
        indexes = ((('prompt', 'number'), True),)


class Agent(ContentModel):
    name = CharField()
    description = TextField(null=True)
    current_version = DeferredForeignKey('AgentVersion', null=True, on_delete='SET NULL', backref='+')

    class Meta:
        indexes = ((('source', 'external_id'), True),)


class AgentVersion(Model):
    """An immutable version of an agent: system prompt, model and parameters."""

    agent = ForeignKeyField(Agent, on_delete='CASCADE', backref='versions')
    number = IntegerField()
    system_prompt = TextField(default='')
    # no ON DELETE action: a model used by a version cannot vanish (versions are immutable)
    model = ForeignKeyField(LlmModel, null=True, backref='+')
    temperature = FloatField(null=True)
    top_p = FloatField(null=True)
    max_tokens = IntegerField(null=True)
    params = JSONField(null=True)  # any other provider parameters
    note = TextField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        database = database_proxy
        legacy_table_names = False
        indexes = ((('agent', 'number'), True),)


class Conversation(ContentModel):
    title = CharField(default='')
    source_title = CharField(null=True)  # the title the import set; a user rename makes them differ
    summary = TextField(null=True)
    active_leaf = DeferredForeignKey('Message', null=True, on_delete='SET NULL', backref='+')
    model = ForeignKeyField(LlmModel, null=True, on_delete='SET NULL', backref='+')
    agent_version = ForeignKeyField(AgentVersion, null=True, on_delete='SET NULL', backref='+')
    message_count = IntegerField(default=0)
    raw = JSONField(null=True)  # source metadata kept for lossless export

    class Meta:
        indexes = ((('source', 'external_id'), True),)


class Message(BaseModel):
    conversation = ForeignKeyField(Conversation, on_delete='CASCADE', backref='messages')
    parent = ForeignKeyField('self', null=True, on_delete='CASCADE', backref='children')
    role = CharField()  # system | user | assistant | tool
    content = TextField(default='')  # readable text (Markdown)
    content_type = CharField(default='text')
    author_name = CharField(null=True)  # tool name, custom author
    hidden = BooleanField(default=False)  # tool traffic, thoughts, hidden system nodes
    status = CharField(default='complete')  # complete | incomplete | error
    model = ForeignKeyField(LlmModel, null=True, on_delete='SET NULL', backref='+')
    agent_version = ForeignKeyField(AgentVersion, null=True, on_delete='SET NULL', backref='+')
    prompt_version = ForeignKeyField(PromptVersion, null=True, on_delete='SET NULL', backref='+')
    input_tokens = IntegerField(null=True)
    output_tokens = IntegerField(null=True)
    cost = FloatField(null=True)
    finish_reason = CharField(null=True)
    external_id = CharField(null=True)  # the item's id in its source (export), for idempotent imports
    raw = JSONField(null=True)

    class Meta:
        indexes = (
            (('conversation', 'external_id'), True),
            (('conversation', 'created_at'), False),
        )


class Output(ContentModel):
    title = CharField(default='')
    body = TextField(default='')
    body_hash = CharField(index=True)
    model = ForeignKeyField(LlmModel, null=True, on_delete='SET NULL', backref='+')
    prompt_version = ForeignKeyField(PromptVersion, null=True, on_delete='SET NULL', backref='outputs')
    agent_version = ForeignKeyField(AgentVersion, null=True, on_delete='SET NULL', backref='outputs')
    conversation = ForeignKeyField(Conversation, null=True, on_delete='SET NULL', backref='outputs')
    message = ForeignKeyField(Message, null=True, on_delete='SET NULL', backref='outputs')
    accuracy = ForeignKeyField(AccuracyLevel, null=True, on_delete='SET NULL', backref='+')
    source_url = TextField(null=True)
    input_tokens = IntegerField(null=True)
    output_tokens = IntegerField(null=True)
    cost = FloatField(null=True)

    class Meta:
        indexes = ((('source', 'external_id'), True),)


# --------------------------------------------------------------------------- junctions


class _Junction(Model):
    created_at = DateTimeField(default=utcnow)

    class Meta:
        database = database_proxy
        legacy_table_names = False


class OutputTag(_Junction):
    output = ForeignKeyField(Output, on_delete='CASCADE', backref='+')
    tag = ForeignKeyField(Tag, on_delete='CASCADE', backref='+', index=True)

    class Meta:
        primary_key = CompositeKey('output', 'tag')


class PromptTag(_Junction):
    prompt = ForeignKeyField(Prompt, on_delete='CASCADE', backref='+')
    tag = ForeignKeyField(Tag, on_delete='CASCADE', backref='+', index=True)

    class Meta:
        primary_key = CompositeKey('prompt', 'tag')


class ConversationTag(_Junction):
    conversation = ForeignKeyField(Conversation, on_delete='CASCADE', backref='+')
    tag = ForeignKeyField(Tag, on_delete='CASCADE', backref='+', index=True)

    class Meta:
        primary_key = CompositeKey('conversation', 'tag')


class AgentTag(_Junction):
    agent = ForeignKeyField(Agent, on_delete='CASCADE', backref='+')
    tag = ForeignKeyField(Tag, on_delete='CASCADE', backref='+', index=True)

    class Meta:
        primary_key = CompositeKey('agent', 'tag')


class CollectionOutput(_Junction):
    collection = ForeignKeyField(Collection, on_delete='CASCADE', backref='+', index=True)
    output = ForeignKeyField(Output, on_delete='CASCADE', backref='+')

    class Meta:
        primary_key = CompositeKey('output', 'collection')


class CollectionPrompt(_Junction):
    collection = ForeignKeyField(Collection, on_delete='CASCADE', backref='+', index=True)
    prompt = ForeignKeyField(Prompt, on_delete='CASCADE', backref='+')

    class Meta:
        primary_key = CompositeKey('prompt', 'collection')


class CollectionConversation(_Junction):
    collection = ForeignKeyField(Collection, on_delete='CASCADE', backref='+', index=True)
    conversation = ForeignKeyField(Conversation, on_delete='CASCADE', backref='+')

    class Meta:
        primary_key = CompositeKey('conversation', 'collection')


class CollectionAgent(_Junction):
    collection = ForeignKeyField(Collection, on_delete='CASCADE', backref='+', index=True)
    agent = ForeignKeyField(Agent, on_delete='CASCADE', backref='+')

    class Meta:
        primary_key = CompositeKey('agent', 'collection')


class OutputLink(_Junction):
    """Two related outputs. Stored once per pair with ``a_id < b_id``: the relation is symmetric."""

    a = ForeignKeyField(Output, on_delete='CASCADE', backref='+')
    b = ForeignKeyField(Output, on_delete='CASCADE', backref='+', index=True)
    kind = CharField(default='related')

    class Meta:
        primary_key = CompositeKey('a', 'b')
        constraints = [Check('a_id < b_id')]


# --------------------------------------------------------------------------- settings, access, runs


class AppSetting(Model):
    key = CharField(primary_key=True)
    value = JSONField(null=True)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        database = database_proxy
        legacy_table_names = False


class ProviderSetting(BaseModel):
    """How to reach a provider. The API key itself lives in the OS keyring / key file, never here."""

    provider = ForeignKeyField(Provider, unique=True, on_delete='CASCADE', backref='+')
    base_url = CharField(null=True)
    default_model = CharField(null=True)
    key_ref = CharField(null=True)  # name of the secret in the key store
    monthly_cap = FloatField(null=True)  # USD
    enabled = BooleanField(default=True)


class ApiToken(BaseModel):
    """A bearer token for the REST API; only its SHA-256 hash is stored."""

    name = CharField()
    token_hash = CharField(unique=True)
    prefix = CharField()  # first characters, to recognise a token in the list
    scope = CharField(default='read')  # read | write
    allow_restricted = BooleanField(default=False)
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)


class Device(BaseModel):
    """A paired LAN device (a phone). Its session carries ``id`` and must match an unrevoked row."""

    name = CharField()
    user_agent = TextField(null=True)
    allow_restricted = BooleanField(default=False)
    is_admin = BooleanField(default=False)  # this computer made it an administrator (roles.is_admin)
    last_seen_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)


class ImportRun(BaseModel):
    """One import (or dry run): what came in and what went wrong."""

    format = CharField(null=True)
    filename = TextField(null=True)
    status = CharField(default='running')  # running | done | failed
    dry_run = BooleanField(default=False)
    finished_at = DateTimeField(null=True)
    conversations_added = IntegerField(default=0)
    conversations_updated = IntegerField(default=0)
    messages_added = IntegerField(default=0)
    skipped = IntegerField(default=0)
    errors = JSONField(null=True)
    report = JSONField(null=True)


class PurgeRun(BaseModel):
    """A retention purge: what was moved to the trash and why."""

    trigger = CharField(default='manual')  # manual | schedule
    item_count = IntegerField(default=0)
    details = JSONField(null=True)


CORE_MODELS: list[type[Model]] = [
    RetentionPlan,
    AccuracyLevel,
    SensitivityLevel,
    Tag,
    Category,
    Source,
    Collection,
    Provider,
    LlmModel,
    Prompt,
    PromptVersion,
    Agent,
    AgentVersion,
    Conversation,
    Message,
    Output,
    OutputTag,
    PromptTag,
    ConversationTag,
    AgentTag,
    CollectionOutput,
    CollectionPrompt,
    CollectionConversation,
    CollectionAgent,
    OutputLink,
    AppSetting,
    ProviderSetting,
    ApiToken,
    Device,
    ImportRun,
    PurgeRun,
]
