"""The one registry of kinds: the four main kinds of content (output, conversation, prompt, agent) and
the message, tag and collection, each with its model, table, title column, labels, address and the
junctions that tag it and file it in collections. Lists, trash, retention, search, the graph, exports,
the CLI and the look derive their lists of kinds from here."""

from __future__ import annotations

from dataclasses import dataclass, field

from peewee import Field, Model

from ..errors import ValidationError
from .models import (
    Agent,
    AgentTag,
    Collection,
    CollectionAgent,
    CollectionConversation,
    CollectionOutput,
    CollectionPrompt,
    Conversation,
    ConversationTag,
    Message,
    Output,
    OutputTag,
    Prompt,
    PromptTag,
    Tag,
)


@dataclass(frozen=True)
class Kind:
    key: str
    model: type[Model]
    singular: str
    plural: str
    title_field: Field | None  # the column shown as its title (None: a message has none)
    trashable: bool = False  # has ``deleted_at``: goes to the trash before it is deleted
    has_sensitivity: bool = False  # carries its own sensitivity level (a message has its conversation's)
    part_of: str | None = None  # a message lives inside its conversation (its page, its tags)
    tag_junction: type[Model] | None = None
    tag_owner: Field | None = None  # the junction's column pointing at the item
    collection_junction: type[Model] | None = None
    collection_owner: Field | None = None
    model_field: Field | None = None  # the item's LlmModel column, if it has one
    agent_version_field: Field | None = None  # the item's AgentVersion column, if it has one
    sorts: dict[str, Field] = field(default_factory=dict)
    default_sort: str = 'created_at'

    @property
    def table(self) -> str:
        return self.model._meta.table_name

    @property
    def title_column(self) -> str | None:
        return self.title_field.column_name if self.title_field is not None else None

    @property
    def url_prefix(self) -> str:
        return f'/{self.plural}'

    @property
    def label(self) -> str:
        return self.singular.capitalize()

    @property
    def plural_label(self) -> str:
        return self.plural.capitalize()

    def url(self, item_id: int, conversation_id: int | None = None) -> str:
        """The item's page; a message opens its conversation scrolled to it."""
        if self.part_of is not None:
            return f'{ALL[self.part_of].url_prefix}/{conversation_id}?m={item_id}#m{item_id}'
        return f'{self.url_prefix}/{item_id}'


_ITEMS = [
    Kind(
        'output',
        Output,
        'output',
        'outputs',
        Output.title,
        trashable=True,
        has_sensitivity=True,
        tag_junction=OutputTag,
        tag_owner=OutputTag.output,
        collection_junction=CollectionOutput,
        collection_owner=CollectionOutput.output,
        model_field=Output.model,
        agent_version_field=Output.agent_version,
        sorts={
            'created_at': Output.created_at,
            'updated_at': Output.updated_at,
            'title': Output.title,
            'rating': Output.rating,
            'last_viewed_at': Output.last_viewed_at,
            'cost': Output.cost,
            'deleted_at': Output.deleted_at,
        },
        default_sort='created_at',
    ),
    Kind(
        'conversation',
        Conversation,
        'conversation',
        'conversations',
        Conversation.title,
        trashable=True,
        has_sensitivity=True,
        tag_junction=ConversationTag,
        tag_owner=ConversationTag.conversation,
        collection_junction=CollectionConversation,
        collection_owner=CollectionConversation.conversation,
        model_field=Conversation.model,
        agent_version_field=Conversation.agent_version,
        sorts={
            'updated_at': Conversation.updated_at,
            'created_at': Conversation.created_at,
            'title': Conversation.title,
            'message_count': Conversation.message_count,
            'rating': Conversation.rating,
            'last_viewed_at': Conversation.last_viewed_at,
            'deleted_at': Conversation.deleted_at,
        },
        default_sort='updated_at',
    ),
    Kind(
        'prompt',
        Prompt,
        'prompt',
        'prompts',
        Prompt.title,
        trashable=True,
        has_sensitivity=True,
        tag_junction=PromptTag,
        tag_owner=PromptTag.prompt,
        collection_junction=CollectionPrompt,
        collection_owner=CollectionPrompt.prompt,
        sorts={
            'updated_at': Prompt.updated_at,
            'created_at': Prompt.created_at,
            'title': Prompt.title,
            'use_count': Prompt.use_count,
            'rating': Prompt.rating,
            'last_used_at': Prompt.last_used_at,
            'deleted_at': Prompt.deleted_at,
        },
        default_sort='updated_at',
    ),
    Kind(
        'agent',
        Agent,
        'agent',
        'agents',
        Agent.name,
        trashable=True,
        has_sensitivity=True,
        tag_junction=AgentTag,
        tag_owner=AgentTag.agent,
        collection_junction=CollectionAgent,
        collection_owner=CollectionAgent.agent,
        sorts={
            'updated_at': Agent.updated_at,
            'created_at': Agent.created_at,
            'name': Agent.name,
            'rating': Agent.rating,
            'deleted_at': Agent.deleted_at,
        },
        default_sort='updated_at',
    ),
]

# The four main kinds, in this order everywhere (lists, trash, retention, the graph's legend).
ITEMS: dict[str, Kind] = {k.key: k for k in _ITEMS}

# Every kind with a place of its own: the four, a message (inside its conversation), tags and collections.
ALL: dict[str, Kind] = {
    **ITEMS,
    'message': Kind('message', Message, 'message', 'messages', None, part_of='conversation'),
    'tag': Kind('tag', Tag, 'tag', 'tags', Tag.name),
    'collection': Kind('collection', Collection, 'collection', 'collections', Collection.name),
}

# What search finds, in the order it lists them.
SEARCHABLE: tuple[str, ...] = ('output', 'message', 'prompt', 'conversation')

# What semantic search embeds (an output's title and body, a message's text).
EMBEDDED: tuple[str, ...] = ('output', 'message')

# What a restricted sensitivity level can hide: the four main kinds, and a message (its conversation's
# level, or that of an output saved from it).
RESTRICTABLE: tuple[str, ...] = (*ITEMS, 'message')

# The nodes of the relationship graph: the four main kinds, then tags and collections.
GRAPH: tuple[str, ...] = (*ITEMS, 'tag', 'collection')


def item(key: str) -> Kind:
    """One of the four main kinds (refuses anything else in one sentence)."""
    try:
        return ITEMS[key]
    except KeyError:
        raise ValidationError(f'Unknown kind of item: {key!r}.') from None
