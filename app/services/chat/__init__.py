"""In-app chat, shared by the chat page, the CLI and the API: send, stream, stop, regenerate, edit, save.

Every use-case stores what the user typed *before* the model is called, creates the reply
message at once (``status='incomplete'`` until it finishes) and starts streaming in a background
task, returning a ``ChatReply`` handle:

    reply = await send_message('Explain WAL mode', conversation_id=None, model='gpt-4o-mini')
    async for delta in reply.deltas():      # text so far, then each new piece; ends when done
        show(delta)
    result = await reply.wait()             # ReplyResult: status, tokens, cost, error sentence
    reply.cancel()                          # stop: keeps what arrived, marked incomplete

The task belongs to the service, not to whoever listens: a page that goes away (a phone that
locks) does not lose the reply — it finishes and is stored; a new page finds it with
``running_replies(conversation_id)`` and re-subscribes. Database work runs in worker threads
(``asyncio.to_thread``), so a busy database never stalls the event loop. Streaming text reaches
the database at most once per ``FLUSH_INTERVAL`` seconds, not per token.

The package: ``targets`` (who answers), ``replies`` (the streaming task, stop, stop_all),
``use_cases`` (send, answer, regenerate, edit) and ``saving`` (a reply as an Output). Callers use
this module's names; a test that tunes ``FLUSH_INTERVAL`` sets it on ``replies``, where it is read.
"""

from __future__ import annotations

from .replies import (
    CANCELLED,
    ERROR,
    FLUSH_INTERVAL,
    ChatReply,
    ReplyResult,
    get_running,
    running_replies,
    stop,
    stop_all,
)
from .saving import AUTO_SAVE_SETTING, auto_save_enabled, save_reply_as_output, set_auto_save
from .targets import (
    DEFAULT_BASE_URLS,
    Target,
    check_connection,
    configured_provider_ids,
    default_model_id,
    find_provider,
    list_provider_models,
    provider_config,
    resolve_target,
)
from .use_cases import MAX_USER_MESSAGE, edit_user_message, regenerate, reply_to, send_message

__all__ = [
    'AUTO_SAVE_SETTING',
    'CANCELLED',
    'DEFAULT_BASE_URLS',
    'ERROR',
    'FLUSH_INTERVAL',
    'MAX_USER_MESSAGE',
    'ChatReply',
    'ReplyResult',
    'Target',
    'auto_save_enabled',
    'check_connection',
    'configured_provider_ids',
    'default_model_id',
    'edit_user_message',
    'find_provider',
    'get_running',
    'list_provider_models',
    'provider_config',
    'regenerate',
    'reply_to',
    'resolve_target',
    'running_replies',
    'save_reply_as_output',
    'send_message',
    'set_auto_save',
    'stop',
    'stop_all',
]
