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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from ..data import conversations as convs
from ..data import settings_store
from ..data.db import write_tx
from ..data.models import (
    Agent,
    AgentVersion,
    Conversation,
    LlmModel,
    Message,
    Output,
    PromptVersion,
    Provider,
    ProviderSetting,
    Source,
)
from ..data.text import first_line_title
from ..errors import NotFound, UserError, ValidationError
from ..llm import keys, pricing
from ..llm.errors import LlmError, MissingKey, redact
from ..llm.providers import (
    ChatMessage,
    GenerationParams,
    ModelInfo,
    ProviderConfig,
    StreamEnd,
    TextDelta,
    make_provider,
)

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 1.0  # seconds between writes of a streaming reply's text
AUTO_SAVE_SETTING = 'chat.auto_save_outputs'
MAX_USER_MESSAGE = 500_000  # characters
CANCELLED = 'cancelled'  # finish_reason of a reply the user stopped
ERROR = 'error'  # finish_reason of a reply that failed

_UNSET: Any = object()

# Providers whose OpenAI-compatible endpoint is known, used when none is configured.
DEFAULT_BASE_URLS = {'google': 'https://generativelanguage.googleapis.com/v1beta/openai/'}


def _client_limits() -> tuple[float, int]:
    """Read timeout and SDK retries; tests and scripts tune them with environment variables."""
    timeout = float(os.environ.get('OUTPUTHUB_LLM_TIMEOUT') or 120)
    retries = int(os.environ.get('OUTPUTHUB_LLM_MAX_RETRIES') or 2)
    return timeout, retries


# --------------------------------------------------------------------------- settings


def auto_save_enabled() -> bool:
    """Whether every finished reply is also saved as an Output."""
    return bool(settings_store.get(AUTO_SAVE_SETTING, False))


def set_auto_save(enabled: bool) -> None:
    settings_store.put(AUTO_SAVE_SETTING, bool(enabled))


# --------------------------------------------------------------------------- resolving provider + model


@dataclass(frozen=True)
class Target:
    """Who answers and how: the model row, its provider, how to reach it, and generation parameters."""

    model: LlmModel
    provider: Provider
    config: ProviderConfig
    params: GenerationParams
    agent_version_id: int | None = None

    @property
    def label(self) -> str:
        return f'{self.provider.name} · {self.model.label}'


def find_provider(value: Provider | int | str) -> Provider:
    """A provider by row, id, name or kind ("openai", "Anthropic", "local")."""
    if isinstance(value, Provider):
        return value
    if isinstance(value, int):
        found = Provider.get_or_none(Provider.id == value)
    else:
        name = value.strip()
        found = Provider.get_or_none(Provider.name == name) or (
            Provider.select().where(Provider.kind == name.lower()).order_by(Provider.id).first()
        )
    if found is None:
        names = ', '.join(p.name for p in Provider.select().order_by(Provider.id))
        raise NotFound(f'There is no provider called {value!r}; known providers: {names}.')
    return found


def _find_model(value: LlmModel | int | str, provider: Provider | None) -> LlmModel:
    if isinstance(value, LlmModel):
        return value
    if isinstance(value, int):
        found = LlmModel.get_or_none(LlmModel.id == value)
        if found is None:
            raise NotFound(f'Model {value} does not exist.')
        return found
    name = value.strip()
    if not name:
        raise ValidationError('The model name is empty.')
    query = LlmModel.select().where((LlmModel.name == name) | (LlmModel.display_name == name))
    if provider is not None:
        query = query.where(LlmModel.provider == provider.id)
    found = query.order_by(LlmModel.id).first()
    if found is not None:
        return found
    if provider is None:
        from ..data import lookups

        return lookups.find_or_create_model(name)
    # A model the table does not list yet (a local model, a new release): record it, prices unknown.
    with write_tx():
        return LlmModel.get_or_create(provider=provider.id, name=name)[0]


def _default_model(provider: Provider) -> LlmModel | None:
    setting = ProviderSetting.get_or_none(ProviderSetting.provider == provider.id)
    if setting is not None and setting.default_model:
        return _find_model(setting.default_model, provider)
    return (
        LlmModel.select()
        .where((LlmModel.provider == provider.id) & (LlmModel.is_active == True))  # noqa: E712
        .order_by(LlmModel.id)
        .first()
    )


def _provider_with_key() -> Provider | None:
    for prov in Provider.select().order_by(Provider.id):
        if prov.kind in ('openai', 'anthropic') and keys.provider_key(prov)[0]:
            return prov
    return None


def provider_config(provider: Provider | int | str, *, base_url: str | None = None) -> ProviderConfig:
    """How to reach a provider: its base URL (setting, else default), its key, timeouts.

    Raises ``MissingKey`` when the official OpenAI / Anthropic endpoint would be called without a key.
    """
    prov = find_provider(provider)
    setting = ProviderSetting.get_or_none(ProviderSetting.provider == prov.id)
    if setting is not None and not setting.enabled and base_url is None:
        raise UserError(f'{prov.name} is turned off in Settings → Providers.')
    configured = (
        (setting.base_url if setting is not None else None)
        or prov.base_url
        or DEFAULT_BASE_URLS.get(prov.kind)
    )
    url = base_url or configured
    kind = prov.kind if prov.kind in ('openai', 'anthropic') else 'openai_compatible'
    if kind == 'openai_compatible' and not url:
        # Without one the openai SDK would quietly call api.openai.com.
        raise ValidationError(
            f'{prov.name} has no base URL: set one in Settings → Providers '
            '(for example http://localhost:11434/v1 for Ollama).'
        )
    key, _source = keys.resolve_key(prov.kind, setting.key_ref if setting is not None else None)
    official = keys.OFFICIAL_URLS.get(prov.kind)
    if base_url and keys.url_origin(base_url) != keys.url_origin(configured or official):
        key = None  # a key goes only to the address it was set up for, never to a one-off other host
    timeout, retries = _client_limits()
    config = ProviderConfig(
        kind=kind, name=prov.name, base_url=url, api_key=key, timeout=timeout, max_retries=retries
    )
    needs_key = config.needs_key or (prov.kind in keys.ENV_KEYS and url == DEFAULT_BASE_URLS.get(prov.kind))
    if needs_key and not key:
        env = keys.ENV_KEYS.get(prov.kind, '')
        hint = f' or set {env}' if env else ''
        raise MissingKey(f'There is no API key for {prov.name}: add one in Settings → Providers{hint}.')
    return config


def _agent_params(version: AgentVersion | None) -> GenerationParams:
    if version is None:
        return GenerationParams()
    extra = version.params if isinstance(version.params, dict) else {}
    return GenerationParams(
        system=version.system_prompt or None,
        temperature=version.temperature,
        max_tokens=version.max_tokens,
        top_p=version.top_p,
        extra=extra,
    )


def _agent_version(
    agent_version: AgentVersion | int | None, agent: Agent | int | None
) -> AgentVersion | None:
    if agent_version is not None:
        if isinstance(agent_version, AgentVersion):
            return agent_version
        found = AgentVersion.get_or_none(AgentVersion.id == agent_version)
        if found is None:
            raise NotFound(f'Agent version {agent_version} does not exist.')
        return found
    if agent is not None:
        agent_id = agent if isinstance(agent, int) else agent.id
        row = Agent.get_or_none(Agent.id == agent_id)
        if row is None or row.deleted_at is not None:
            raise NotFound(f'Agent {agent_id} does not exist.')
        if row.current_version_id is None:
            raise ValidationError(f'Agent {row.name!r} has no version yet.')
        return AgentVersion.get_by_id(row.current_version_id)
    return None


def resolve_target(
    *,
    model: LlmModel | int | str | None = None,
    provider: Provider | int | str | None = None,
    base_url: str | None = None,
    agent_version: AgentVersion | int | None = None,
    agent: Agent | int | None = None,
    params: GenerationParams | None = None,
    fallback_model_id: int | None = None,
    check_cap: bool = True,
) -> Target:
    """Work out who answers: explicit model > agent version's model > ``fallback_model_id`` > defaults.

    Raises a ``UserError`` (no model, no key, cap reached, unknown agent) before anything is stored.
    """
    version = _agent_version(agent_version, agent)
    prov = find_provider(provider) if provider is not None else None
    row: LlmModel | None = None
    if model is not None and model != '':
        row = _find_model(model, prov)
    elif version is not None and version.model_id is not None:
        row = LlmModel.get_by_id(version.model_id)
    elif fallback_model_id is not None:
        row = LlmModel.get_or_none(LlmModel.id == fallback_model_id)
    if row is not None and prov is not None and row.provider_id != prov.id:
        # The same model name under the provider asked for (e.g. a local server serving "gpt-4o").
        row = _find_model(row.name, prov)
    if row is None:
        prov = prov or _provider_with_key()
        row = _default_model(prov) if prov is not None else None
    if row is None:
        raise ValidationError('Pick a model to chat with (there is no default model for this provider).')
    prov = Provider.get_by_id(row.provider_id)
    config = provider_config(prov, base_url=base_url)
    if check_cap:
        pricing.check_cap(prov)
    merged = _agent_params(version).overridden_by(params)
    return Target(row, prov, config, merged, version.id if version is not None else None)


# --------------------------------------------------------------------------- results and the running reply


@dataclass(frozen=True)
class ReplyResult:
    conversation_id: int
    user_message_id: int | None
    message_id: int
    text: str
    status: str  # complete | incomplete | error
    finish_reason: str | None
    input_tokens: int | None
    output_tokens: int | None
    cost: float | None
    model: str | None  # the model id the provider reported
    error: UserError | None = None
    output_id: int | None = None  # the Output saved automatically, if the option is on

    @property
    def error_message(self) -> str | None:
        return str(self.error) if self.error is not None else None

    @property
    def retry_after(self) -> float | None:
        return getattr(self.error, 'retry_after', None)

    def as_json(self) -> dict[str, Any]:
        return {
            'conversation_id': self.conversation_id,
            'message_id': self.message_id,
            'text': self.text,
            'input_tokens': self.input_tokens,
            'output_tokens': self.output_tokens,
            'cost': self.cost,
        }


_running: dict[int, ChatReply] = {}  # reply message id -> reply still streaming
_tasks: set[asyncio.Task] = set()  # strong references, so a running reply is never garbage-collected


def running_replies(conversation_id: int | None = None) -> list[ChatReply]:
    """Replies still streaming (in one conversation, or everywhere)."""
    return [r for r in _running.values() if conversation_id is None or r.conversation_id == conversation_id]


def get_running(message_id: int) -> ChatReply | None:
    return _running.get(message_id)


def stop(message_id: int) -> bool:
    """Stop the reply streaming into ``message_id``; False if it is not running (any more)."""
    reply = _running.get(message_id)
    if reply is None:
        return False
    reply.cancel()
    return True


async def stop_all() -> None:
    """Stop every running reply and wait until each has stored what it had (for app shutdown)."""
    replies = list(_running.values())
    for reply in replies:
        reply.cancel()
    for reply in replies:
        with contextlib.suppress(Exception):
            await reply.wait()


class ChatReply:
    """A reply being streamed into a stored message. Listen with ``deltas()`` or ``add_listener``."""

    def __init__(
        self,
        *,
        conversation_id: int,
        user_message_id: int | None,
        message_id: int,
        target: Target,
        history: list[ChatMessage],
    ) -> None:
        self.conversation_id = conversation_id
        self.user_message_id = user_message_id
        self.message_id = message_id
        self.target = target
        self.model_label = target.label
        self.text = ''
        self.status = 'streaming'
        self.error: UserError | None = None
        self.result: ReplyResult | None = None
        self._history = history
        self._queues: list[asyncio.Queue[str | None]] = []
        self._listeners: list[Callable[[str], Any]] = []
        self._cancel_requested = False
        self._done = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._started = False
        self._finishing = False

    def __repr__(self) -> str:
        return f'ChatReply(message_id={self.message_id}, status={self.status!r}, chars={len(self.text)})'

    # ---------------------------------------------------------------- for listeners

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        """Stop generating. What arrived is kept; the message is marked incomplete."""
        if self.done or self._cancel_requested or self._finishing:
            return  # once the stream is over, stopping would only interrupt the final write
        self._cancel_requested = True
        # A task cancelled before its first step never runs its body (no final write); the flag covers that.
        if self._task is not None and self._started:
            self._task.cancel()

    async def wait(self) -> ReplyResult:
        await self._done.wait()
        assert self.result is not None
        return self.result

    async def deltas(self) -> AsyncIterator[str]:
        """The text so far as one piece, then every new piece until the reply ends (any way)."""
        snapshot = self.text
        if self.done:
            if snapshot:
                yield snapshot
            return
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._queues.append(queue)  # registered before the first await: no delta can slip between
        try:
            if snapshot:
                yield snapshot
            while True:
                piece = await queue.get()
                if piece is None:
                    return
                yield piece
        finally:
            with contextlib.suppress(ValueError):
                self._queues.remove(queue)

    def add_listener(self, callback: Callable[[str], Any]) -> Callable[[], None]:
        """Call ``callback(delta)`` on the event loop for each new piece; returns a function that unsubscribes."""
        self._listeners.append(callback)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(callback)

        return remove

    # ---------------------------------------------------------------- the streaming task

    def _start(self) -> None:
        _running[self.message_id] = self
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f'chat-reply-{self.message_id}')
        _tasks.add(self._task)
        self._task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        _tasks.discard(task)
        if not self._done.is_set():  # cancelled before it ever ran: the stored message stays incomplete
            _running.pop(self.message_id, None)
            self.status = 'incomplete'
            self.result = ReplyResult(
                self.conversation_id,
                self.user_message_id,
                self.message_id,
                self.text,
                'incomplete',
                CANCELLED,
                None,
                None,
                None,
                self.target.model.name,
            )
            self._done.set()
            self._publish(None)

    def _publish(self, piece: str | None) -> None:
        for queue in list(self._queues):
            queue.put_nowait(piece)
        if piece is None:
            return
        for callback in list(self._listeners):
            try:
                callback(piece)
            except Exception:  # a broken listener must not break the stream
                log.exception('A chat listener failed')

    async def _run(self) -> None:
        end: StreamEnd | None = None
        error: UserError | None = None
        cancelled = False
        last_flush = time.monotonic()
        flush: asyncio.Task | None = None
        target = self.target
        self._started = True
        try:
            if self._cancel_requested:
                raise asyncio.CancelledError
            # Built in a thread: the first use imports the SDK, which takes seconds.
            provider = await asyncio.to_thread(make_provider, target.config)
            async with provider:
                async for event in provider.stream(self._history, target.model.name, target.params):
                    if isinstance(event, TextDelta):
                        self.text += event.text
                        self._publish(event.text)
                        now = time.monotonic()
                        if now - last_flush >= FLUSH_INTERVAL and (flush is None or flush.done()):
                            last_flush = now
                            flush = asyncio.create_task(self._flush(self.text))
                    else:
                        end = event
        except asyncio.CancelledError:
            cancelled = True
            task = asyncio.current_task()
            if self._cancel_requested and task is not None:
                task.uncancel()  # our own stop: the task carries on to store what arrived
        except LlmError as exc:
            error = exc
        except Exception as exc:  # never a traceback for the user; the log gets the type, not the request
            log.error('Chat reply %s failed: %s', self.message_id, type(exc).__name__)
            error = UserError(
                f'The reply failed unexpectedly ({type(exc).__name__}: '
                f'{redact(str(exc), target.config.api_key)[:200]}).'
            )
        self._finishing = True
        if flush is not None:
            with contextlib.suppress(BaseException):
                await flush
        try:
            await self._finish(end, error, cancelled)
        finally:
            if self.result is None:  # the final write itself was interrupted (shutdown)
                self.status = 'incomplete'
                self.result = ReplyResult(
                    self.conversation_id,
                    self.user_message_id,
                    self.message_id,
                    self.text,
                    'incomplete',
                    CANCELLED,
                    None,
                    None,
                    None,
                    target.model.name,
                    error,
                )
            _running.pop(self.message_id, None)
            self._done.set()
            self._publish(None)
        if cancelled and not self._cancel_requested:
            raise asyncio.CancelledError  # cancelled from outside (shutdown): let the loop know

    async def _flush(self, text: str) -> None:
        try:
            await asyncio.to_thread(convs.update_message, self.message_id, content=text)
        except Exception as exc:
            log.warning(
                'Could not store the streaming reply %s yet (%s)', self.message_id, type(exc).__name__
            )

    async def _finish(self, end: StreamEnd | None, error: UserError | None, cancelled: bool) -> None:
        target = self.target
        if end is not None:
            status, finish = 'complete', end.stop_reason
            input_tokens, output_tokens = end.input_tokens, end.output_tokens
            cost = pricing.cost_for(target.model, input_tokens, output_tokens)
        else:
            status = 'incomplete' if (cancelled or self.text) else 'error'
            finish = CANCELLED if cancelled else ERROR
            input_tokens = output_tokens = None
            cost = None
        self.status, self.error = status, error
        output_id = None
        try:
            await asyncio.to_thread(
                _store_final,
                self.message_id,
                self.text,
                status,
                finish,
                input_tokens,
                output_tokens,
                cost,
                error,
                end.model if end is not None and end.model != target.model.name else None,
            )
            if status == 'complete' and await asyncio.to_thread(auto_save_enabled):
                output_id = (await asyncio.to_thread(save_reply_as_output, self.message_id)).id
        except Exception as exc:
            log.error('Could not store the reply %s (%s)', self.message_id, type(exc).__name__)
            error = error or UserError(f'The reply arrived but could not be saved ({type(exc).__name__}).')
            self.error = error
        self.result = ReplyResult(
            conversation_id=self.conversation_id,
            user_message_id=self.user_message_id,
            message_id=self.message_id,
            text=self.text,
            status=status,
            finish_reason=finish,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost=cost,
            model=end.model if end is not None else target.model.name,
            error=error,
            output_id=output_id,
        )


def _store_final(
    message_id: int,
    text: str,
    status: str,
    finish: str | None,
    input_tokens: int | None,
    output_tokens: int | None,
    cost: float | None,
    error: UserError | None,
    provider_model: str | None = None,
) -> None:
    with write_tx():
        convs.update_message(
            message_id,
            content=text,
            status=status,
            finish_reason=finish,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost=cost,
        )
        raw: dict[str, str] = {}
        if error is not None:
            # Kept with the message so a reloaded page can still say why it failed.
            raw.update(error=str(error), error_type=type(error).__name__)
        if provider_model:
            raw['provider_model'] = provider_model  # the exact snapshot, e.g. gpt-4o-2024-08-06
        if raw:
            Message.update(raw=raw).where(Message.id == message_id).execute()


# --------------------------------------------------------------------------- preparing a reply (sync, in a thread)


def _history(conversation_id: int, leaf_id: int | None) -> list[ChatMessage]:
    """The path from the root to ``leaf_id`` as the model sees it: visible text turns only."""
    if leaf_id is None:
        return []
    ids = convs.path_ids(leaf_id)
    rows = {
        m.id: m
        for m in Message.select(
            Message.id, Message.conversation, Message.role, Message.content, Message.hidden
        ).where(Message.id.in_(ids))
    }
    out: list[ChatMessage] = []
    for mid in ids:
        m = rows[mid]
        if m.conversation_id != conversation_id:
            raise ValidationError('That message belongs to another conversation.')
        if m.hidden or m.role not in ('system', 'user', 'assistant') or not (m.content or '').strip():
            continue
        out.append(ChatMessage(m.role, m.content))
    return out


def _conversation_model_id(conv: Conversation) -> int | None:
    """The model a conversation was last answered with (its own field, else its latest reply's)."""
    if conv.model_id is not None:
        return conv.model_id
    return (
        Message.select(Message.model)
        .where((Message.conversation == conv.id) & Message.model.is_null(False))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .scalar()
    )


@dataclass
class _Prepared:
    conversation_id: int
    user_message_id: int | None
    message_id: int
    target: Target
    history: list[ChatMessage] = field(default_factory=list)


def _check_text(text: str) -> str:
    text = (text or '').replace('\r\n', '\n')
    if not text.strip():
        raise ValidationError('Type a message first.')
    if len(text) > MAX_USER_MESSAGE:
        raise ValidationError(
            f'That message is too long ({len(text):,} characters; the limit is {MAX_USER_MESSAGE:,}).'
        )
    return text


def _prompt_version_id(value: PromptVersion | int | None) -> int | None:
    if value is None:
        return None
    pid = value if isinstance(value, int) else value.id
    if PromptVersion.get_or_none(PromptVersion.id == pid) is None:
        raise NotFound(f'Prompt version {pid} does not exist.')
    return pid


def _start_reply_rows(conv_id: int, parent_id: int, target: Target, prompt_version_id: int | None) -> int:
    """The reply's message (empty, incomplete) under ``parent_id``; the conversation remembers model and agent."""
    with write_tx():
        reply = convs.add_message(
            conv_id,
            'assistant',
            '',
            parent=parent_id,
            model=target.model.id,
            agent_version=target.agent_version_id,
            prompt_version=prompt_version_id,
            status='incomplete',
        )
        Conversation.update(model=target.model.id, agent_version=target.agent_version_id).where(
            Conversation.id == conv_id
        ).execute()
    return reply.id


def _prepare_send(
    text: str,
    conversation_id: int | None,
    parent: Any,
    target_kwargs: dict[str, Any],
    prompt_version: PromptVersion | int | None,
    title: str | None,
) -> _Prepared:
    text = _check_text(text)
    conv = convs.get_conversation(conversation_id) if conversation_id is not None else None
    if conv is not None and conv.deleted_at is not None:
        raise ValidationError('That conversation is in the trash; restore it to continue it.')
    if conv is not None and target_kwargs.get('agent_version') is _UNSET:
        target_kwargs['agent_version'] = conv.agent_version_id if target_kwargs.get('agent') is None else None
    elif target_kwargs.get('agent_version') is _UNSET:
        target_kwargs['agent_version'] = None
    target = resolve_target(
        **target_kwargs, fallback_model_id=_conversation_model_id(conv) if conv is not None else None
    )
    pv_id = _prompt_version_id(prompt_version)
    with write_tx():
        if conv is None:
            source = Source.get_or_none(Source.kind == 'chat')
            conv = convs.create_conversation(
                (title or first_line_title(text))[:200],
                source=source,
                model=target.model.id,
                agent_version=target.agent_version_id,
            )
        user = convs.add_message(
            conv.id,
            'user',
            text,
            parent=_UNSET_PARENT if parent is _UNSET else parent,
            prompt_version=pv_id,
        )
        reply_id = _start_reply_rows(conv.id, user.id, target, pv_id)
    return _Prepared(conv.id, user.id, reply_id, target, _history(conv.id, user.id))


# conversations.add_message's own "not given" marker: the parent defaults to the active leaf.
_UNSET_PARENT: Any = convs._UNSET


def _prepare_reply_to(
    user_message_id: int, target_kwargs: dict[str, Any], inherit_from: Message | None
) -> _Prepared:
    prompt = Message.get_or_none(Message.id == user_message_id)
    if prompt is None:
        raise NotFound(f'Message {user_message_id} does not exist.')
    conv = convs.get_conversation(prompt.conversation_id)
    if target_kwargs.get('agent_version') is _UNSET:
        if target_kwargs.get('agent') is not None:
            target_kwargs['agent_version'] = None  # the agent's current version decides
        elif inherit_from is not None:
            target_kwargs['agent_version'] = inherit_from.agent_version_id
        else:
            target_kwargs['agent_version'] = conv.agent_version_id
    fallback = inherit_from.model_id if inherit_from is not None and inherit_from.model_id else None
    target = resolve_target(**target_kwargs, fallback_model_id=fallback or _conversation_model_id(conv))
    pv_id = (inherit_from.prompt_version_id if inherit_from is not None else None) or prompt.prompt_version_id
    reply_id = _start_reply_rows(conv.id, prompt.id, target, pv_id)
    return _Prepared(
        conv.id, prompt.id if prompt.role == 'user' else None, reply_id, target, _history(conv.id, prompt.id)
    )


def _launch(prepared: _Prepared) -> ChatReply:
    reply = ChatReply(
        conversation_id=prepared.conversation_id,
        user_message_id=prepared.user_message_id,
        message_id=prepared.message_id,
        target=prepared.target,
        history=prepared.history,
    )
    reply._start()
    return reply


def _target_kwargs(
    model: Any,
    provider: Any,
    base_url: str | None,
    agent_version: Any,
    agent: Any,
    params: GenerationParams | None,
) -> dict[str, Any]:
    return {
        'model': model,
        'provider': provider,
        'base_url': base_url,
        'agent_version': agent_version,
        'agent': agent,
        'params': params,
    }


# --------------------------------------------------------------------------- use-cases


async def send_message(
    text: str,
    *,
    conversation_id: int | None = None,
    model: LlmModel | int | str | None = None,
    provider: Provider | int | str | None = None,
    base_url: str | None = None,
    agent_version: AgentVersion | int | None = _UNSET,
    agent: Agent | int | None = None,
    prompt_version: PromptVersion | int | None = None,
    params: GenerationParams | None = None,
    parent: Message | int | None = _UNSET,
    title: str | None = None,
) -> ChatReply:
    """Store the user's message (new conversation when ``conversation_id`` is None) and start the reply.

    Continues any conversation — imported ones too — with any model. Without ``model`` the
    conversation's last model (or the agent's, or the provider's default) answers. Without
    ``agent_version`` / ``agent`` a continued conversation keeps its agent; pass
    ``agent_version=None`` for none. ``parent`` defaults to the active leaf.
    Raises a ``UserError`` (nothing stored) when no model, key or budget is available.
    """
    kwargs = _target_kwargs(model, provider, base_url, agent_version, agent, params)
    prepared = await asyncio.to_thread(
        _prepare_send, text, conversation_id, parent, kwargs, prompt_version, title
    )
    return _launch(prepared)


async def reply_to(
    message_id: int,
    *,
    model: LlmModel | int | str | None = None,
    provider: Provider | int | str | None = None,
    base_url: str | None = None,
    agent_version: AgentVersion | int | None = _UNSET,
    agent: Agent | int | None = None,
    params: GenerationParams | None = None,
) -> ChatReply:
    """A new reply to an existing (user) message, as a new branch — e.g. an imported conversation
    that ends with a question, or a retry after a failed reply."""
    kwargs = _target_kwargs(model, provider, base_url, agent_version, agent, params)
    prepared = await asyncio.to_thread(_prepare_reply_to, message_id, kwargs, None)
    return _launch(prepared)


def _regenerate_source(reply_message_id: int) -> Message:
    reply = Message.get_or_none(Message.id == reply_message_id)
    if reply is None:
        raise NotFound(f'Message {reply_message_id} does not exist.')
    if reply.role != 'assistant':
        raise ValidationError('Only a model reply can be regenerated.')
    if reply.parent_id is None:
        raise ValidationError('That reply answers nothing, so it cannot be regenerated.')
    return reply


async def regenerate(
    reply_message_id: int,
    *,
    model: LlmModel | int | str | None = None,
    provider: Provider | int | str | None = None,
    base_url: str | None = None,
    agent_version: AgentVersion | int | None = _UNSET,
    agent: Agent | int | None = None,
    params: GenerationParams | None = None,
) -> ChatReply:
    """A new sibling of a reply (same question, new answer — a new branch, the old one kept).

    Uses the original reply's model and agent version unless others are given.
    """
    kwargs = _target_kwargs(model, provider, base_url, agent_version, agent, params)

    def prepare() -> _Prepared:
        original = _regenerate_source(reply_message_id)
        return _prepare_reply_to(original.parent_id, kwargs, original)

    prepared = await asyncio.to_thread(prepare)
    return _launch(prepared)


async def edit_user_message(
    message_id: int,
    new_text: str,
    *,
    model: LlmModel | int | str | None = None,
    provider: Provider | int | str | None = None,
    base_url: str | None = None,
    agent_version: AgentVersion | int | None = _UNSET,
    agent: Agent | int | None = None,
    params: GenerationParams | None = None,
) -> ChatReply:
    """Edit a user message: a new sibling user message (a new branch) and a reply to it."""

    def prepare() -> _Prepared:
        original = Message.get_or_none(Message.id == message_id)
        if original is None:
            raise NotFound(f'Message {message_id} does not exist.')
        if original.role != 'user':
            raise ValidationError('Only your own messages can be edited.')
        kwargs = _target_kwargs(model, provider, base_url, agent_version, agent, params)
        if kwargs['agent_version'] is _UNSET and agent is None:
            # Keep the agent that answered the original question, if one did.
            answered_by = (
                Message.select(Message.agent_version)
                .where((Message.parent == original.id) & (Message.role == 'assistant'))
                .order_by(Message.id.desc())
                .scalar()
            )
            conv = convs.get_conversation(original.conversation_id)
            kwargs['agent_version'] = answered_by or conv.agent_version_id
        return _prepare_send(
            new_text,
            original.conversation_id,
            original.parent_id,
            kwargs,
            original.prompt_version_id,
            None,
        )

    prepared = await asyncio.to_thread(prepare)
    return _launch(prepared)


# --------------------------------------------------------------------------- saving a reply as an Output


def save_reply_as_output(message_id: int) -> Output:
    """Save a model reply as an Output, with its provenance; saving the same reply twice returns the first.

    The preceding user turn becomes the output's prompt version: its own prompt version when it
    has one (a prompt run in chat), else the prompt version holding that exact text — created as
    a new Prompt if none does, the same way a manual capture treats a pasted prompt.
    """
    from ..data.outputs import CaptureData, capture_output

    msg = Message.get_or_none(Message.id == message_id)
    if msg is None:
        raise NotFound(f'Message {message_id} does not exist.')
    if msg.role != 'assistant':
        raise ValidationError('Only a model reply can be saved as an output.')
    if not (msg.content or '').strip():
        raise ValidationError('That reply is empty, so there is nothing to save.')
    existing = (
        Output.select()
        .where((Output.message == msg.id) & Output.deleted_at.is_null())
        .order_by(Output.id)
        .first()
    )
    if existing is not None:
        return existing
    user = _preceding_user_message(msg)
    return capture_output(
        CaptureData(
            body=msg.content,
            prompt='' if (user is None or user.prompt_version_id) else user.content,
            prompt_version_id=msg.prompt_version_id or (user.prompt_version_id if user is not None else None),
            model=msg.model_id,
            agent_version_id=msg.agent_version_id,
            conversation_id=msg.conversation_id,
            message_id=msg.id,
            input_tokens=msg.input_tokens,
            output_tokens=msg.output_tokens,
            cost=msg.cost,
            source_kind='chat',
        )
    )


def _preceding_user_message(msg: Message) -> Message | None:
    parent_id = msg.parent_id
    for _ in range(50):  # a reply's question is its parent; tool steps may sit in between
        if parent_id is None:
            return None
        parent = Message.get_or_none(Message.id == parent_id)
        if parent is None:
            return None
        if parent.role == 'user':
            return parent
        parent_id = parent.parent_id
    return None


# --------------------------------------------------------------------------- provider checks for the settings page


async def list_provider_models(
    provider: Provider | int | str, *, base_url: str | None = None
) -> list[ModelInfo]:
    """The models the provider's API lists (raises an ``LlmError`` with the reason when it cannot)."""
    config = await asyncio.to_thread(provider_config, provider, base_url=base_url)
    async with await asyncio.to_thread(make_provider, config) as client:
        return await client.list_models()


async def check_connection(provider: Provider | int | str, *, base_url: str | None = None) -> str:
    """One sentence for the "Test connection" button; raises an ``LlmError`` saying what is wrong."""
    config = await asyncio.to_thread(provider_config, provider, base_url=base_url)
    async with await asyncio.to_thread(make_provider, config) as client:
        models = await client.list_models()
    return f'Connected to {config.label}: {len(models)} model{"s" if len(models) != 1 else ""} available.'
