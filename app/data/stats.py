"""Counts of what the library holds (home page, ``outputhub stats``)."""

from __future__ import annotations

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
    Tag,
)


def counts() -> dict[str, int]:
    """One count per entity. Trashed items are not counted; their versions and messages are."""
    return {
        'outputs': Output.select().where(Output.deleted_at.is_null()).count(),
        'conversations': Conversation.select().where(Conversation.deleted_at.is_null()).count(),
        'messages': Message.select().count(),
        'prompts': Prompt.select().where(Prompt.deleted_at.is_null()).count(),
        'prompt_versions': PromptVersion.select().count(),
        'agents': Agent.select().where(Agent.deleted_at.is_null()).count(),
        'agent_versions': AgentVersion.select().count(),
        'tags': Tag.select().count(),
        'categories': Category.select().count(),
        'collections': Collection.select().count(),
        'models': LlmModel.select().count(),
    }
