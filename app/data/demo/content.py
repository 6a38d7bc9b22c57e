"""The demo's content, the hot path: conversations with their message trees and outputs, in time order
and in chunks whose ids can be shifted as one block."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from typing import Any

from ..demo_content import GENERIC_TAGS, TOPICS, Topic
from ..models import Conversation, Message, Output
from ..text import body_hash
from .base import GeneratorBase
from .profile import (
    ACCURACY,
    CONVERSATION_NOTES,
    CONVERSATION_OUTPUT_SHARE,
    CONVERSATION_SOURCES,
    OUTPUT_SOURCES,
    SPAN,
    SUMMARIES,
    Weighted,
    compact_json,
    timestamp,
)
from .writer import (
    COLLECTION_CONVERSATION,
    COLLECTION_OUTPUT,
    CONVERSATION,
    CONVERSATION_TAG,
    MESSAGE,
    OUTPUT,
    OUTPUT_LINK,
    OUTPUT_TAG,
    ROW_KINDS,
    ROW_TARGETS,
    count_key,
)


class Content(GeneratorBase):
    def chunks(
        self, outputs: int, conversations: int, chunk_units: int
    ) -> tuple[int, Iterator[tuple[dict[str, list[tuple]], tuple[int, int, int], int]]]:
        """Plan the content in time order: (total units, an iterator of (rows, predicted id bases, units)).

        The plan (how many outputs each conversation yields) is drawn now; each chunk's rows are drawn
        when the iterator reaches it, so the caller can generate one chunk while it inserts the last.
        """
        r = self.rng
        # How many outputs each conversation yields, decided up front so the total is exactly `outputs`.
        mean = min(3.0, CONVERSATION_OUTPUT_SHARE * outputs / conversations) if conversations else 0.0
        per_conv = [sum(r.random() < mean / 4 for _ in range(4)) for _ in range(conversations)]
        excess = sum(per_conv) - outputs
        i = len(per_conv) - 1
        while excess > 0 and i >= 0:
            take = min(excess, per_conv[i])
            per_conv[i] -= take
            excess -= take
            i -= 1
        standalone = outputs - sum(per_conv)
        total = conversations + outputs
        chunks = max(1, math.ceil(total / chunk_units))
        self.topics = Weighted([(t, 3 if t.category in ('Coding', 'Writing') else 2) for t in TOPICS])
        self.next_conv = self.bulk.next_id(Conversation)
        self.next_msg = self.bulk.next_id(Message)
        self.next_out = self.bulk.next_id(Output)

        def plan() -> Iterator[tuple[dict[str, list[tuple]], tuple[int, int, int], int]]:
            for c in range(chunks):
                conv_lo, conv_hi = conversations * c // chunks, conversations * (c + 1) // chunks
                out_lo, out_hi = standalone * c // chunks, standalone * (c + 1) // chunks
                # content ends a day before the reference date, so no conversation runs past it
                t_lo = -SPAN + (SPAN - 86400) * c // chunks
                t_hi = -SPAN + (SPAN - 86400) * (c + 1) // chunks
                bases = (self.next_conv, self.next_msg, self.next_out)
                rows = self._chunk_rows(per_conv[conv_lo:conv_hi], out_hi - out_lo, t_lo, t_hi)
                units = (conv_hi - conv_lo) + sum(per_conv[conv_lo:conv_hi]) + (out_hi - out_lo)
                yield rows, bases, units

        return total, plan()

    def _chunk_rows(
        self, conv_outputs: list[int], standalone: int, t_lo: int, t_hi: int
    ) -> dict[str, list[tuple]]:
        r = self.rng
        self.rows: dict[str, list[tuple]] = {k: [] for k in ROW_KINDS}
        # related-output links stay inside the chunk, so a chunk's ids can be shifted as one block
        self.recent: dict[str, deque[int]] = {t.key: deque(maxlen=40) for t in TOPICS}
        # Conversations and standalone captures interleave in time order, as a user would make them.
        events = [(r.randint(t_lo, t_hi - 1), 0, k) for k in conv_outputs]
        events += [(r.randint(t_lo, t_hi - 1), 1, 0) for _ in range(standalone)]
        events.sort(key=lambda e: (e[0], e[1]))
        for when, kind, k in events:
            if kind == 0:
                self._conversation(when, k)
            else:
                self._standalone_output(when)
        return self.rows

    def insert_chunk(self, rows: dict[str, list[tuple]]) -> None:
        for kind in ROW_KINDS:
            columns = ROW_TARGETS[kind]
            self.counts[count_key(columns.model)] += self.bulk.insert(columns, rows[kind])

    def _pick_topic(self) -> Topic:
        return self.topics.pick(self.rng)

    def _tags_for(self, topic: Topic) -> list[int]:
        r = self.rng
        names = [topic.tags[0]] if r.random() < 0.8 else []
        names += r.sample(topic.tags[1:], k=r.randint(0, len(topic.tags) - 1))
        if not names:
            names = [r.choice(topic.tags)]
        if r.random() < 0.1:
            names.append(r.choice(GENERIC_TAGS))
        return [self.tags[n] for n in names]

    def _collections_for(self, topic: Topic, share: float) -> list[int]:
        r = self.rng
        pool = self.topic_collections[topic.key]
        if not pool or r.random() >= share:
            return []
        return r.sample(pool, k=2 if len(pool) > 1 and r.random() < 0.12 else 1)

    def _output_row(
        self,
        *,
        when: int,
        topic: Topic,
        ctx: dict[str, str],
        body: str,
        source: int,
        model: int | None,
        prompt_version: int | None,
        agent_version: int | None,
        conversation: int | None,
        message: int | None,
        tokens_in: int,
        tokens_out: int,
        cost: float | None,
        source_url: str | None,
    ) -> None:
        r = self.rng
        oid = self.next_out
        self.next_out += 1
        flags = self._content_flags(topic, when)
        notes = flags['notes'].format_map(ctx) if flags['notes'] else None
        updated = r.randint(when, 0) if r.random() < 0.3 else when
        accuracy = self.accuracy[self._weighted(ACCURACY).lower()] if r.random() < 0.6 else None
        self.rows['out'].append(
            OUTPUT.row(
                **self._item_columns(
                    oid, timestamp(when), timestamp(updated), flags, source, None, notes=notes
                ),
                title=r.choice(topic.titles).format_map(ctx),
                body=body,
                body_hash=body_hash(body),
                model=model,
                prompt_version=prompt_version,
                agent_version=agent_version,
                conversation=conversation,
                message=message,
                accuracy=accuracy,
                source_url=source_url,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
                cost=cost,
            )
        )
        stamp = timestamp(when)
        for tag in self._tags_for(topic):
            self.rows['otag'].append(OUTPUT_TAG.row(created_at=stamp, output=oid, tag=tag))
        for cid in self._collections_for(topic, 0.4):
            self.rows['ocoll'].append(COLLECTION_OUTPUT.row(created_at=stamp, collection=cid, output=oid))
        recent = self.recent[topic.key]
        if recent and r.random() < 0.25:
            for other in {r.choice(recent) for _ in range(2 if r.random() < 0.2 else 1)}:
                self.rows['link'].append(OUTPUT_LINK.row(created_at=stamp, a=other, b=oid, kind='related'))
        recent.append(oid)

    def _standalone_output(self, when: int) -> None:
        r = self.rng
        topic = self._pick_topic()
        ctx = self._context(topic, when)
        source_name = self._weighted(OUTPUT_SOURCES)
        pv = self._version_at(self.prompt_versions.get(topic.key, []), when, r) if r.random() < 0.45 else None
        av = self._version_at(self.agent_versions.get(topic.key, []), when, r) if r.random() < 0.25 else None
        model = av[2] if av else self._weighted(self.model_pool) if r.random() < 0.95 else None
        body = self._body(topic, ctx)
        prompt_text = self._fill_prompt(pv[3], ctx) if pv else r.choice(topic.asks).format_map(ctx)
        tokens_in = self._tokens(prompt_text) + (self._tokens(av[3]) if av else 0) + r.randint(0, 1500)
        tokens_out = self._tokens(body)
        url = None
        if source_name == 'Browser clipper':
            url = f'https://chatgpt.com/c/{self._uuid()}'
        elif source_name == 'Perplexity':
            url = f'https://www.perplexity.ai/search/{topic.key}-{self._uuid()[:8]}'
        self._output_row(
            when=when,
            topic=topic,
            ctx=ctx,
            body=body,
            source=self.sources[source_name.lower()],
            model=model,
            prompt_version=pv[1] if pv else None,
            agent_version=av[1] if av else None,
            conversation=None,
            message=None,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost=self._cost(model, tokens_in, tokens_out),
            source_url=url,
        )

    def _conversation(self, start: int, captures: int) -> None:
        r = self.rng
        topic = self._pick_topic()
        ctx = self._context(topic, start)
        source_name, family = self._weighted(CONVERSATION_SOURCES)
        imported = source_name in ('ChatGPT export', 'Claude export', 'Gemini export')
        av = None
        if source_name in ('In-app chat', 'Manual capture') and r.random() < 0.55:
            av = self._version_at(self.agent_versions.get(topic.key, []), start, r)
        if av:
            model = av[2]
        elif family:
            model = self._weighted(self.provider_models[family])
        else:
            model = self._weighted(self.model_pool)
        pv = None
        if source_name in ('In-app chat', 'Manual capture') and r.random() < 0.4:
            pv = self._version_at(self.prompt_versions.get(topic.key, []), start, r)
        cid = self.next_conv
        self.next_conv += 1
        title = r.choice(topic.titles).format_map(ctx)
        source_title = None
        if imported:
            source_title = title if r.random() < 0.9 else 'New chat'
        msgs = self.rows['msg']
        first_msg = len(msgs)
        clock = [start]

        def tick(lo: int, hi: int) -> str:
            clock[0] += r.randint(lo, hi)
            return timestamp(min(clock[0], 0))

        def add(parent: int | None, role: str, content: str, **extra: Any) -> int:
            mid = self.next_msg
            self.next_msg += 1
            stamp = extra.pop('stamp')
            msgs.append(
                MESSAGE.row(
                    id=mid,
                    created_at=stamp,
                    updated_at=stamp,
                    conversation=cid,
                    parent=parent,
                    role=role,
                    content=content,
                    content_type=extra.get('content_type', 'text'),
                    author_name=extra.get('author_name'),
                    hidden=int(extra.get('hidden', False)),
                    status=extra.get('status', 'complete'),
                    model=extra.get('model'),
                    agent_version=extra.get('agent_version'),
                    prompt_version=extra.get('prompt_version'),
                    input_tokens=extra.get('input_tokens'),
                    output_tokens=extra.get('output_tokens'),
                    cost=extra.get('cost'),
                    finish_reason=extra.get('finish_reason'),
                    external_id=self._uuid() if imported else None,
                    raw=None,
                )
            )
            return mid

        context_tokens = 0
        parent: int | None = None
        if av:
            parent = add(None, 'system', av[3], stamp=tick(0, 0))
            context_tokens += self._tokens(av[3])
        elif source_name == 'ChatGPT export' and r.random() < 0.5:
            parent = add(None, 'system', '', hidden=True, stamp=tick(0, 0))
        elif r.random() < 0.15:
            system = 'You are a helpful assistant. Answer concisely and use Markdown.'
            parent = add(None, 'system', system, stamp=tick(0, 0))
            context_tokens += self._tokens(system)

        def answer(
            parent_id: int, full: bool, tokens_before: int, alt_model: int | None = None
        ) -> tuple[int, str, int, int, float | None, int | None, int]:
            content = self._body(topic, ctx, full=full)
            m = alt_model or model
            t_in = tokens_before + r.randint(5, 40)
            t_out = self._tokens(content)
            cost = self._cost(m, t_in, t_out)
            mid = add(
                parent_id,
                'assistant',
                content,
                model=m,
                agent_version=av[1] if av else None,
                input_tokens=t_in,
                output_tokens=t_out,
                cost=cost,
                finish_reason='stop',
                stamp=tick(4, 70),
            )
            return mid, content, t_in, t_out, cost, m, clock[0]

        turns = max(captures, r.randint(2, 7))
        branch_turn = r.randrange(turns) if r.random() < 0.2 else -1
        branch_kind = 'regenerate' if r.random() < 0.6 else 'edit'
        has_tool = topic.tool is not None and source_name in ('ChatGPT export', 'In-app chat')
        capturable: list[tuple] = []  # (message, content, tokens in/out, cost, model, time, prompt version)
        for turn in range(turns):
            if turn == 0:
                text = self._fill_prompt(pv[3], ctx) if pv else r.choice(topic.asks).format_map(ctx)
            else:
                text = r.choice(topic.followups)
            first = turn == 0
            user = add(
                parent,
                'user',
                text,
                prompt_version=pv[1] if pv and first else None,
                stamp=tick(20, 1800) if turn else tick(1, 5),
            )
            context_tokens += self._tokens(text)
            if branch_turn == turn and branch_kind == 'edit':
                # the first wording got an answer; the user edited the question and went on from there
                old_answer = answer(user, first, context_tokens)
                context_tokens += old_answer[3]
                text = (
                    text
                    + ' '
                    + r.choice(('Be brief.', 'Focus on the main risk.', 'Use a table.', 'Skip the intro.'))
                )
                user = add(
                    parent, 'user', text, prompt_version=pv[1] if pv and first else None, stamp=tick(20, 300)
                )
                context_tokens += self._tokens(text)
            anchor = user
            if has_tool and r.random() < 0.35:
                tool_name, results = topic.tool
                anchor = add(
                    user,
                    'tool',
                    r.choice(results).format_map(ctx),
                    hidden=True,
                    author_name=tool_name,
                    content_type='tool_result',
                    stamp=tick(2, 20),
                )
            reply = answer(anchor, first, context_tokens)
            if branch_turn == turn and branch_kind == 'regenerate':
                alt_model = model if r.random() < 0.7 else self._weighted(self.model_pool)
                second = answer(anchor, first, context_tokens, alt_model=alt_model)
                if r.random() < 0.75:
                    # kept the regenerated answer; the first one was often stopped half-way
                    if r.random() < 0.3:
                        msgs[-2] = MESSAGE.replace(msgs[-2], status='incomplete', finish_reason=None)
                    reply = second
            capturable.append((*reply, pv[1] if pv and first else None))
            context_tokens += reply[3]
            parent = reply[0]
        leaf = parent
        count = len(msgs) - first_msg
        last_stamp = timestamp(min(clock[0], 0))
        flags = self._content_flags(topic, start, conversation=True)
        summary = r.choice(SUMMARIES).format(title=title) if r.random() < 0.3 else None
        notes = r.choice(CONVERSATION_NOTES).format(first=ctx['first']) if r.random() < 0.08 else None
        raw = None
        ext = None
        if imported:
            ext = self._uuid()
            raw = {'export': source_name.split()[0].lower(), 'id': ext, 'model_slug': self._model_name(model)}
        self.rows['conv'].append(
            CONVERSATION.row(
                **self._item_columns(
                    cid,
                    timestamp(start),
                    last_stamp,
                    flags,
                    self.sources[source_name.lower()],
                    ext,
                    notes=notes,
                ),
                title=title,
                source_title=source_title,
                summary=summary,
                active_leaf=leaf,
                model=model,
                agent_version=av[1] if av else None,
                message_count=count,
                raw=compact_json(raw),
            )
        )
        stamp = timestamp(start)
        for tag in self._tags_for(topic):
            self.rows['ctag'].append(CONVERSATION_TAG.row(created_at=stamp, conversation=cid, tag=tag))
        for coll in self._collections_for(topic, 0.45):
            self.rows['ccoll'].append(
                COLLECTION_CONVERSATION.row(created_at=stamp, collection=coll, conversation=cid)
            )
        for mid, content, t_in, t_out, cost, m, said_at, pv_id in r.sample(capturable, k=captures):
            when = min(0, said_at + r.randint(10, 3 * 86400))
            self._output_row(
                when=when,
                topic=topic,
                ctx=ctx,
                body=content,
                source=self.sources[source_name.lower()],
                model=m,
                prompt_version=pv_id,
                agent_version=av[1] if av else None,
                conversation=cid,
                message=mid,
                tokens_in=t_in,
                tokens_out=t_out,
                cost=cost,
                source_url=f'https://chatgpt.com/c/{ext}' if source_name == 'ChatGPT export' else None,
            )

    def _model_name(self, model_id: int | None) -> str | None:
        return self.model_names.get(model_id) if model_id is not None else None
