"""A reply streaming into a stored message: the background task, its listeners, flushing and stopping.

The task belongs to the service, not to whoever listens; ``running_replies`` finds the ones still
streaming. Streaming text reaches the database at most once per ``FLUSH_INTERVAL`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from ...data import conversations as convs
from ...data.db import write_tx
from ...data.models import Message
from ...errors import UserError
from ...llm import pricing
from ...llm.errors import LlmError, redact
from ...llm.providers import ChatMessage, StreamEnd, TextDelta, make_provider
from .. import library_events
from .saving import auto_save_enabled, save_reply_as_output
from .targets import Target

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 1.0  # seconds between writes of a streaming reply's text
CANCELLED = 'cancelled'  # finish_reason of a reply the user stopped
ERROR = 'error'  # finish_reason of a reply that failed


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
            self._stopped(None)
            self._done.set()
            self._publish(None)

    def _stopped(self, error: UserError | None) -> None:
        """The result of a reply stopped before its final write: what arrived, marked incomplete."""
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
            error,
        )

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
                self._stopped(error)
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
        if status == 'complete' and self.error is None:  # outgoing webhooks: "conversation finished in chat"
            library_events.emit('conversation', [self.conversation_id], 'finished')


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
