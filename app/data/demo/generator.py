"""The demo generator: every row of one seeding run, from one random stream in a fixed order."""

from __future__ import annotations

import bisect
import hashlib
import math
import random
import re
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import peewee

from .. import defaults
from ..demo_content import (
    AGENTS,
    API_TOKENS,
    CATEGORIES,
    COLLECTIONS,
    DEVICES,
    EXTRA_ACCURACY,
    EXTRA_MODELS,
    EXTRA_PROVIDERS,
    EXTRA_RETENTION,
    EXTRA_SENSITIVITY,
    EXTRA_SOURCES,
    GENERIC_TAGS,
    IMPORT_ERRORS,
    MODEL_WEIGHTS,
    PROMPTS,
    PROVIDER_SETTINGS,
    PURGE_PLANS,
    TAG_COLOURS,
    TOPICS,
    Topic,
)
from ..models import (
    AccuracyLevel,
    Agent,
    AgentVersion,
    ApiToken,
    Category,
    Collection,
    Conversation,
    Device,
    ImportRun,
    LlmModel,
    Message,
    Output,
    Prompt,
    PromptVersion,
    Provider,
    ProviderSetting,
    PurgeRun,
    RetentionPlan,
    SensitivityLevel,
    Source,
    Tag,
)
from ..text import body_hash
from .profile import (
    ACCURACY,
    CONVERSATION_NOTES,
    CONVERSATION_OUTPUT_SHARE,
    CONVERSATION_SOURCES,
    DEMO_SOURCE,
    FIXTURE_TIME,
    FOLLOWUP_OPENERS,
    ITEM_PLANS,
    OUTPUT_SOURCES,
    RATINGS,
    REFERENCE_DATE,
    SECTION_TITLES,
    SEEDED_TOKEN_MARK,
    SPAN,
    SUMMARIES,
    VAR_FILL,
    VAR_RE,
    WEEKDAYS,
    Rng,
    Weighted,
    compact_json,
    day_month,
    relative_seconds,
    timestamp,
)
from .writer import (
    AGENT,
    AGENT_TAG,
    AGENT_VERSION,
    COLLECTION_AGENT,
    COLLECTION_CONVERSATION,
    COLLECTION_OUTPUT,
    COLLECTION_PROMPT,
    CONVERSATION,
    CONVERSATION_TAG,
    MESSAGE,
    OUTPUT,
    OUTPUT_LINK,
    OUTPUT_TAG,
    PROMPT,
    PROMPT_TAG,
    PROMPT_VERSION,
    ROW_KINDS,
    ROW_TARGETS,
    BulkWriter,
    count_key,
)


class Generator:
    """Writes one seeding run; every random choice comes from one ``random.Random`` in a fixed order."""

    def __init__(self, db: peewee.Database, seed: int) -> None:
        self.db = db
        self.bulk = BulkWriter(db)
        # A second run on the same file must not repeat external ids, so the existing size salts the seed;
        # on an empty database the salt is constant and the seed alone decides everything.
        salt = (self.bulk.next_id(Conversation), self.bulk.next_id(Output))
        self.rng = Rng(f'{seed}:{salt[0]}:{salt[1]}')
        # Seeding into a database that already holds someone's library adds no tokens or devices at all.
        self.fresh = salt == (1, 1) and self.bulk.next_id(ApiToken) == 1 and self.bulk.next_id(Device) == 1
        self.counts: Counter[str] = Counter()
        self._faker_pools()

    # ------------------------------------------------------------------ small helpers

    def _faker_pools(self) -> None:
        from faker import Faker

        fake = Faker('en_US')
        fake.seed_instance(self.rng.getrandbits(64))
        self.names = [fake.name() for _ in range(300)]
        self.first_names = [fake.first_name() for _ in range(200)]
        self.companies = [fake.company() for _ in range(150)]
        self.cities = [fake.city() for _ in range(100)]

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _weighted(self, table: Weighted) -> Any:
        return table.pick(self.rng)

    def _context(self, topic: Topic, when: int) -> dict[str, str]:
        r = self.rng
        ctx = {k: r.choice(v) for k, v in topic.vars.items()}
        ctx.update(
            name=r.choice(self.names),
            first=r.choice(self.first_names),
            first2=r.choice(self.first_names),
            first3=r.choice(self.first_names),
            company=r.choice(self.companies),
            city=r.choice(self.cities),
            weekday=r.choice(WEEKDAYS),
            date=day_month(when + r.randint(3, 12) * 86400),
            date2=day_month(when + r.randint(13, 25) * 86400),
            date3=day_month(when + r.randint(26, 45) * 86400),
            a=str(r.randint(120, 980)),
            b=str(r.randint(120, 980)),
            c=str(r.randint(2, 9)),
            d=str(r.randint(1, 9)),
            p=str(r.randint(5, 95)),
            big=str(r.randint(1200, 9800)),
        )
        return ctx

    def _body(self, topic: Topic, ctx: dict[str, str], *, full: bool = True) -> str:
        """Markdown that matches the topic: heading, intro, list, optional table and code, closing line.

        A follow-up answer (``full=False``) is shorter: an opener, a few points, sometimes code.
        """
        r = self.rng
        parts = (
            ['## ' + r.choice(topic.headings), r.choice(topic.intros)]
            if full
            else [r.choice(FOLLOWUP_OPENERS)]
        )
        points = r.sample(
            topic.points, k=r.randint(3 if full else 2, min(6 if full else 4, len(topic.points)))
        )
        if topic.prose:
            parts.append('\n\n'.join(points))
        else:
            if r.random() < 0.3:
                listing = '\n'.join(f'{i}. {p}' for i, p in enumerate(points, 1))
            else:
                listing = '\n'.join('- ' + p for p in points)
            parts.append(f'### {r.choice(SECTION_TITLES)}\n\n{listing}' if full else listing)
            if topic.table and r.random() < (0.6 if full else 0.15):
                header, rows = topic.table
                picked = r.sample(rows, k=r.randint(min(2, len(rows)), len(rows)))
                lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
                lines += ['| ' + row + ' |' for row in picked]
                parts.append('\n'.join(lines))
        if topic.code and r.random() < (0.75 if full else 0.35):
            lang, templates = topic.code
            parts.append(f'```{lang}\n{r.choice(templates)}\n```')
        if full or topic.prose or r.random() < 0.3:
            parts.append(r.choice(topic.outros))
        return '\n\n'.join(parts).format_map(ctx)

    def _fill_prompt(self, body: str, ctx: dict[str, str]) -> str:
        def fill(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if default is not None and (name not in VAR_FILL or self.rng.random() < 0.6):
                return default
            try:
                return VAR_FILL[name].format_map(ctx)
            except KeyError:  # no filler for this variable, or it needs another topic's context
                return default if default is not None else f'[{name}]'

        return VAR_RE.sub(fill, body)

    def _tokens(self, text: str) -> int:
        # about four characters per token for English text and code
        return max(1, len(text) // 4 + self.rng.randint(-3, 12))

    def _cost(self, model_id: int | None, tokens_in: int, tokens_out: int) -> float | None:
        if model_id is None:
            return None
        price_in, price_out = self.prices[model_id]
        # the same formula and rounding as app.llm.pricing.cost_for
        return round((tokens_in * price_in + tokens_out * price_out) / 1_000_000, 8)

    # ------------------------------------------------------------------ fixtures (small tables)

    def _ensure_named(self, model: type[peewee.Model], rows: list[dict[str, Any]]) -> dict[str, int]:
        """Insert the rows whose (case-insensitive) name is missing; return name.lower() -> id for all."""
        existing = {name.lower() for (name,) in model.select(model.name).tuples()}
        new = [row for row in rows if row['name'].lower() not in existing]
        stamp = timestamp(relative_seconds(FIXTURE_TIME))
        for row in new:
            row.setdefault('created_at', stamp)
            row.setdefault('updated_at', row['created_at'])
        if new:
            model.insert_many(new).execute()
        self.counts[count_key(model)] += len(new)
        return {name.lower(): pk for pk, name in model.select(model.id, model.name).tuples()}

    def fixtures(self) -> None:
        r = self.rng
        self.retention = self._ensure_named(
            RetentionPlan,
            [{'name': n, 'days': d, 'sort_order': o} for n, d, o in defaults.RETENTION]
            + [
                {'name': n, 'days': d, 'sort_order': o, 'description': desc}
                for n, d, o, desc in EXTRA_RETENTION
            ],
        )
        self.accuracy = self._ensure_named(
            AccuracyLevel,
            [
                {'name': n, 'rank': k, 'color': c, 'description': desc}
                for n, k, c, desc in defaults.ACCURACY + EXTRA_ACCURACY
            ],
        )
        self.sensitivity = self._ensure_named(
            SensitivityLevel,
            [
                {'name': n, 'rank': k, 'restricted': res, 'color': c, 'description': desc}
                for n, k, res, c, desc in defaults.SENSITIVITY + EXTRA_SENSITIVITY
            ],
        )
        self.sources = self._ensure_named(
            Source,
            [{'name': n, 'kind': k} for n, k in defaults.SOURCES]
            + [{'name': n, 'kind': k, 'description': desc} for n, k, desc in EXTRA_SOURCES],
        )
        providers = self._ensure_named(
            Provider,
            [
                {'name': n, 'kind': k, 'base_url': u, 'color': c}
                for n, k, u, c in defaults.PROVIDERS + EXTRA_PROVIDERS
            ],
        )
        self._models(providers)
        self._provider_settings(providers)
        tag_names = {t for topic in TOPICS for t in topic.tags} | set(GENERIC_TAGS)
        tag_names |= {t for agent in AGENTS for t in agent[4]}
        self.tags = self._ensure_named(
            Tag,
            [
                {'name': t, 'color': TAG_COLOURS[i % len(TAG_COLOURS)]}
                for i, t in enumerate(sorted(tag_names))
            ],
        )
        self.categories = self._ensure_named(
            Category,
            [
                {
                    'name': n,
                    'color': c,
                    'description': d,
                    'retention': self.retention[rp.lower()] if rp else None,
                }
                for n, c, d, rp in CATEGORIES
            ],
        )
        self.collections = self._ensure_named(
            Collection,
            [
                {
                    'name': n,
                    'description': d,
                    'color': TAG_COLOURS[i % len(TAG_COLOURS)],
                    'retention': self.retention[rp.lower()] if rp else None,
                    'notes': r.choice(
                        (
                            None,
                            f'Shared with {r.choice(self.first_names)}.',
                            'Archive when done.',
                        )
                    ),
                    'created_at': timestamp(-SPAN + i * 86400 * 40),
                }
                for i, (n, d, _topics, rp) in enumerate(COLLECTIONS)
            ],
        )
        self.topic_collections: dict[str, list[int]] = {t.key: [] for t in TOPICS}
        for name, _d, topics, _rp in COLLECTIONS:
            for key in topics:
                self.topic_collections[key].append(self.collections[name.lower()])
        self._access_rows()
        self._runs()
        self._prompts()
        self._agents()

    def _models(self, providers: dict[str, int]) -> None:
        existing = {(p, n.lower()) for p, n in LlmModel.select(LlmModel.provider, LlmModel.name).tuples()}
        stamp = timestamp(relative_seconds(FIXTURE_TIME))
        new = []
        for prov, api_id, label, pin, pout, ctx in defaults.MODELS + EXTRA_MODELS:
            pid = providers[prov.lower()]
            if (pid, api_id.lower()) not in existing:
                new.append(
                    {
                        'provider': pid,
                        'name': api_id,
                        'display_name': label,
                        'input_price': pin,
                        'output_price': pout,
                        'context_window': ctx,
                        'created_at': stamp,
                        'updated_at': stamp,
                    }
                )
        if new:
            LlmModel.insert_many(new).execute()
        self.counts['models'] += len(new)
        self.models: dict[str, int] = {}  # api id -> id (first provider wins)
        self.model_provider: dict[int, str] = {}
        self.model_names: dict[int, str] = {}
        self.prices: dict[int, tuple[float, float]] = {}
        query = (
            LlmModel.select(
                LlmModel.id, LlmModel.name, LlmModel.input_price, LlmModel.output_price, Provider.name
            )
            .join(Provider)
            .order_by(LlmModel.id)
            .tuples()
        )
        for mid, name, pin, pout, pname in query:
            self.models.setdefault(name.lower(), mid)
            self.model_names[mid] = name
            self.model_provider[mid] = pname
            self.prices[mid] = (pin or 0.0, pout or 0.0)
        demo_ids = [self.models[m[1].lower()] for m in defaults.MODELS + EXTRA_MODELS]
        weights = [MODEL_WEIGHTS.get(m[1], 1) for m in defaults.MODELS + EXTRA_MODELS]
        pool = list(zip(demo_ids, weights, strict=True))
        self.model_pool = Weighted(pool)
        by_provider: dict[str, list[tuple[int, int]]] = {}
        for (mid, w), spec in zip(pool, defaults.MODELS + EXTRA_MODELS, strict=True):
            by_provider.setdefault(spec[0], []).append((mid, w))
        self.provider_models = {name: Weighted(models) for name, models in by_provider.items()}

    def _provider_settings(self, providers: dict[str, int]) -> None:
        existing = {pid for (pid,) in ProviderSetting.select(ProviderSetting.provider).tuples()}
        urls = {n: u for n, _k, u, _c in defaults.PROVIDERS + EXTRA_PROVIDERS}
        stamp = timestamp(relative_seconds(FIXTURE_TIME) + 86400)
        rows = []
        for name, (model, cap, enabled) in PROVIDER_SETTINGS.items():
            pid = providers[name.lower()]
            if pid in existing:
                continue
            # no key_ref: the demo never holds or points at a real credential
            rows.append(
                {
                    'provider': pid,
                    'base_url': urls[name],
                    'default_model': model,
                    'key_ref': None,
                    'monthly_cap': cap,
                    'enabled': enabled,
                    'created_at': stamp,
                    'updated_at': stamp,
                }
            )
        if rows:
            ProviderSetting.insert_many(rows).execute()
        self.counts['provider_settings'] += len(rows)

    def _access_rows(self) -> None:
        """Example API tokens and paired devices for the settings pages. None of them is a credential:
        anyone can rerun the seed, so a token's stored hash is one no token can match (``find_token``
        compares hex SHA-256 digests) and every device is revoked."""
        if not self.fresh:
            return
        r = self.rng
        have = {n for (n,) in ApiToken.select(ApiToken.name).tuples()}
        rows = []
        for i, (name, scope, restricted, revoked) in enumerate(API_TOKENS):
            token = 'oh_' + ''.join(
                r.choice('abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789') for _ in range(40)
            )
            created = -SPAN + 30 * 86400 + i * 50 * 86400 + r.randint(0, 86400)
            if name in have:
                continue
            rows.append(
                {
                    'name': name,
                    'token_hash': SEEDED_TOKEN_MARK + hashlib.sha256(token.encode()).hexdigest(),
                    'prefix': token[:8],
                    'scope': scope,
                    'allow_restricted': restricted,
                    'last_used_at': timestamp(min(0, created + r.randint(1, 200) * 86400)),
                    'revoked_at': timestamp(min(0, created + r.randint(200, 300) * 86400))
                    if revoked
                    else None,
                    'created_at': timestamp(created),
                    'updated_at': timestamp(created),
                }
            )
        if rows:
            ApiToken.insert_many(rows).execute()
        self.counts['api_tokens'] += len(rows)
        have = {n for (n,) in Device.select(Device.name).tuples()}
        rows = []
        for i, (name, agent, restricted, revoked) in enumerate(DEVICES):
            created = -SPAN + 10 * 86400 + i * 60 * 86400 + r.randint(0, 86400)
            if name in have:
                continue
            last_seen = min(0, created + r.randint(1, 400) * 86400)
            rows.append(
                {
                    'name': name,
                    'user_agent': agent,
                    'allow_restricted': restricted,
                    'last_seen_at': timestamp(last_seen),
                    # revoked either way: a seeded device must never stand for a real phone's session
                    'revoked_at': timestamp(
                        min(0, created + r.randint(100, 300) * 86400) if revoked else last_seen
                    ),
                    'created_at': timestamp(created),
                    'updated_at': timestamp(created),
                }
            )
        if rows:
            Device.insert_many(rows).execute()
        self.counts['devices'] += len(rows)

    def _runs(self) -> None:
        r = self.rng
        have = {f for (f,) in ImportRun.select(ImportRun.filename).tuples()}
        rows = []
        for i in range(12):
            fmt = ('chatgpt', 'claude', 'chatgpt', 'gemini')[i % 4]
            start = -SPAN + 5 * 86400 + i * 58 * 86400 + r.randint(0, 86400)
            stamp = (REFERENCE_DATE + timedelta(seconds=start)).strftime('%Y-%m-%d')
            ext = {'chatgpt': 'zip', 'claude': 'zip', 'gemini': 'json'}[fmt]
            filename = (
                f'{fmt}-export-{stamp}.{ext}'
                if fmt != 'gemini'
                else f'Takeout/My Activity/Gemini Apps/MyActivity-{stamp}.json'
            )
            if filename in have:
                continue
            status = 'failed' if i == 7 else 'done'
            dry = i in (3, 9)
            added = 0 if status == 'failed' else r.randint(8, 400)
            messages = added * r.randint(6, 14)
            errors = [
                e.format(uuid=self._uuid(), big=r.randint(10_000, 9_000_000), file='diagram.png')
                for e in r.sample(IMPORT_ERRORS, k=r.randint(0, 2) if status == 'done' else 1)
            ]
            if status == 'failed':
                errors = [f'file conversations.json: truncated JSON at byte {r.randint(10_000, 9_000_000)}']
            seconds = max(1, messages // 900 + r.randint(1, 20))
            rows.append(
                {
                    'format': fmt,
                    'filename': filename,
                    'status': status,
                    'dry_run': dry,
                    'finished_at': timestamp(min(0, start + seconds)),
                    'conversations_added': added,
                    'conversations_updated': r.randint(0, added // 4 + 1)
                    if i > 0 and status == 'done'
                    else 0,
                    'messages_added': messages,
                    'skipped': r.randint(0, 5),
                    'errors': errors or None,
                    'report': {
                        'seconds': seconds,
                        'conversations_seen': added + r.randint(0, 30),
                        'models': {'gpt-4o': added // 2, 'gpt-4o-mini': added // 4}
                        if fmt == 'chatgpt'
                        else {},
                        'dry_run': dry,
                    },
                    'created_at': timestamp(start),
                    'updated_at': timestamp(min(0, start + seconds)),
                }
            )
        if rows:
            ImportRun.insert_many(rows).execute()
        self.counts['import_runs'] += len(rows)
        if PurgeRun.select().exists():
            return
        rows = []
        for i in range(14):
            start = -SPAN + 40 * 86400 + i * 48 * 86400 + r.randint(0, 3600)
            plans = {p: r.randint(0, 12) for p in r.sample(PURGE_PLANS, k=r.randint(1, 3))}
            total = sum(plans.values())
            rows.append(
                {
                    'trigger': 'manual' if i % 5 == 2 else 'schedule',
                    'item_count': total,
                    'details': {
                        'plans': plans,
                        'kinds': {'output': total - total // 3, 'conversation': total // 3},
                        'skipped_keep': r.randint(0, 3),
                        'skipped_favourite': r.randint(0, 4),
                    },
                    'created_at': timestamp(start),
                    'updated_at': timestamp(start),
                }
            )
        PurgeRun.insert_many(rows).execute()
        self.counts['purge_runs'] += len(rows)

    def _content_flags(self, topic: Topic, when: int, *, conversation: bool = False) -> dict[str, Any]:
        """Favourite, rating, notes, category, sensitivity, retention, keep, last viewed: like a real user."""
        r = self.rng
        roll = r.random()
        if topic.sensitive:
            level = (
                'secret'
                if roll < 0.05
                else 'client confidential'
                if roll < 0.15
                else 'confidential'
                if roll < 0.45
                else None
            )
        else:
            level = (
                'secret' if roll < 0.006 else 'personal' if roll < 0.2 else 'public' if roll < 0.4 else None
            )
        if topic.key in ('meal-plan', 'fitness-plan') and roll < 0.1:
            level = 'health'
        notes = None
        if r.random() < (0.08 if conversation else 0.12) and topic.notes:
            notes = r.choice(topic.notes)
        return {
            'favourite': int(r.random() < 0.08),
            'rating': self._weighted(RATINGS) if r.random() < 0.55 else None,
            'notes': notes,
            'category': self.categories[topic.category.lower()],
            'sensitivity': self.sensitivity[level] if level else None,
            'retention': self._retention_for(when) if r.random() < 0.08 else None,
            'keep': int(r.random() < 0.03),
            'last_viewed_at': timestamp(r.randint(when, 0)) if r.random() < 0.4 else None,
        }

    def _retention_for(self, when: int) -> int:
        """A plan set on the item that keeps it at least two months past the reference date.

        The app's purge counts an item's age from its last change; a plan shorter than that would
        move the item to the trash the first time the demo opens.
        """
        age_days = -when // 86400
        fitting = [name for name, days in ITEM_PLANS if days is None or days > age_days + 60]
        return self.retention[self.rng.choice(fitting).lower()]

    # ------------------------------------------------------------------ prompts and agents

    def _version_times(self, count: int) -> list[int]:
        r = self.rng
        times = [-SPAN - r.randint(0, 60) * 86400 + r.randint(0, SPAN // 4)]
        for _ in range(count - 1):
            remaining_days = -times[-1] // 86400
            times.append(
                times[-1] + r.randint(20, max(21, remaining_days // count)) * 86400 + r.randint(0, 86400)
            )
        return [min(t, -3600) for t in times]

    @staticmethod
    def _library_item(
        item_id: int,
        times: list[int],
        flags: dict[str, Any],
        source: int,
        external_id: str,
        notes: str | None,
        sensitivity: int | None,
    ) -> dict[str, Any]:
        """The columns a prompt and an agent share: a library item from the demo source, first made at
        ``times[0]`` and last changed at ``times[-1]``, no retention plan, not kept, not in the trash."""
        return {
            'id': item_id,
            'created_at': timestamp(times[0]),
            'updated_at': timestamp(times[-1]),
            'favourite': flags['favourite'],
            'rating': flags['rating'],
            'notes': notes,
            'category': flags['category'],
            'sensitivity': sensitivity,
            'retention': None,
            'keep': 0,
            'source': source,
            'external_id': external_id,
            'last_viewed_at': flags['last_viewed_at'],
            'deleted_at': None,
        }

    def _prompts(self) -> None:
        r = self.rng
        source = self.sources[DEMO_SOURCE.lower()]
        existing = {
            ext: pid
            for pid, ext in Prompt.select(Prompt.id, Prompt.external_id)
            .where(Prompt.source == source)
            .tuples()
        }
        self.prompt_versions: dict[
            str, list[tuple[int, int, int, str]]
        ] = {}  # topic -> [(time, version id, prompt id, body)]
        self.demo_prompt_ids: list[int] = []
        next_prompt = self.bulk.next_id(Prompt)
        next_version = self.bulk.next_id(PromptVersion)
        prompt_rows, version_rows, tag_rows, coll_rows = [], [], [], []
        current: list[tuple[int, int]] = []
        for key, topic_key, title, desc, base, additions in PROMPTS:
            topic = next(t for t in TOPICS if t.key == topic_key)
            ext = f'demo:prompt:{key}'
            count = 1 + len(additions)
            times = self._version_times(count)
            flags = self._content_flags(topic, times[-1])
            if ext in existing:
                pid = existing[ext]
                self.demo_prompt_ids.append(pid)
                versions = (
                    PromptVersion.select().where(PromptVersion.prompt == pid).order_by(PromptVersion.number)
                )
                for v in versions:
                    self.prompt_versions.setdefault(topic_key, []).append(
                        (relative_seconds(v.created_at), v.id, pid, v.body)
                    )
                continue
            pid = next_prompt
            next_prompt += 1
            self.demo_prompt_ids.append(pid)
            body = base
            for number in range(1, count + 1):
                if number > 1:
                    body += additions[number - 2][0]
                note = 'First version' if number == 1 else additions[number - 2][1]
                version_rows.append(
                    PROMPT_VERSION.row(
                        id=next_version,
                        prompt=pid,
                        number=number,
                        body=body,
                        note=note,
                        created_at=timestamp(times[number - 1]),
                    )
                )
                self.prompt_versions.setdefault(topic_key, []).append(
                    (times[number - 1], next_version, pid, body)
                )
                next_version += 1
            notes = flags['notes'] and flags['notes'].format_map(self._context(topic, times[-1]))
            prompt_rows.append(
                PROMPT.row(
                    **self._library_item(pid, times, flags, source, ext, notes, flags['sensitivity']),
                    title=title,
                    description=desc,
                    current_version=None,  # set below, once the versions exist (the search trigger indexes its body)
                    use_count=0,
                    last_used_at=None,
                )
            )
            current.append((next_version - 1, pid))
            for tag in r.sample(topic.tags, k=min(2, len(topic.tags))):
                tag_rows.append(
                    PROMPT_TAG.row(created_at=timestamp(times[0]), prompt=pid, tag=self.tags[tag])
                )
            for cid in self.topic_collections[topic_key]:
                coll_rows.append(
                    COLLECTION_PROMPT.row(created_at=timestamp(times[0]), collection=cid, prompt=pid)
                )
        self.counts['prompts'] += self.bulk.insert(PROMPT, prompt_rows)
        self.counts['prompt_versions'] += self.bulk.insert(PROMPT_VERSION, version_rows)
        if current:
            self.db.cursor().executemany('UPDATE prompt SET current_version_id = ? WHERE id = ?', current)
        self.counts['prompt_tags'] += self.bulk.insert(PROMPT_TAG, tag_rows)
        self.counts['collection_prompts'] += self.bulk.insert(COLLECTION_PROMPT, coll_rows)
        for versions in self.prompt_versions.values():
            versions.sort()

    def _agents(self) -> None:
        r = self.rng
        source = self.sources[DEMO_SOURCE.lower()]
        existing = {
            ext: aid
            for aid, ext in Agent.select(Agent.id, Agent.external_id).where(Agent.source == source).tuples()
        }
        self.agent_versions: dict[
            str, list[tuple[int, int, int, str]]
        ] = {}  # topic -> [(time, version id, model id, system)]
        next_agent = self.bulk.next_id(Agent)
        next_version = self.bulk.next_id(AgentVersion)
        agent_rows, version_rows, tag_rows, coll_rows = [], [], [], []
        for key, name, desc, topics, tags, versions in AGENTS:
            topic = next(t for t in TOPICS if t.key == topics[0])
            ext = f'demo:agent:{key}'
            times = self._version_times(len(versions))
            flags = self._content_flags(topic, times[-1])
            if ext in existing:
                aid = existing[ext]
                for v in AgentVersion.select().where(AgentVersion.agent == aid).order_by(AgentVersion.number):
                    for tk in topics:
                        entry = (relative_seconds(v.created_at), v.id, v.model_id, v.system_prompt)
                        self.agent_versions.setdefault(tk, []).append(entry)
                continue
            aid = next_agent
            next_agent += 1
            system = ''
            for number, (addition, model, temperature, note) in enumerate(versions, 1):
                system += addition
                mid = self.models[model.lower()]
                params = {'presence_penalty': 0.2} if temperature and temperature >= 0.7 else None
                max_tokens = r.choice((None, 2048, 4096))
                version_rows.append(
                    AGENT_VERSION.row(
                        id=next_version,
                        agent=aid,
                        number=number,
                        system_prompt=system,
                        model=mid,
                        temperature=temperature,
                        top_p=None,
                        max_tokens=max_tokens,
                        params=compact_json(params),
                        note=note,
                        created_at=timestamp(times[number - 1]),
                    )
                )
                for tk in topics:
                    self.agent_versions.setdefault(tk, []).append(
                        (times[number - 1], next_version, mid, system)
                    )
                next_version += 1
            agent_rows.append(
                AGENT.row(
                    **self._library_item(aid, times, flags, source, ext, None, None),
                    name=name,
                    description=desc,
                    current_version=next_version - 1,
                )
            )
            for tag in tags:
                tag_rows.append(AGENT_TAG.row(created_at=timestamp(times[0]), agent=aid, tag=self.tags[tag]))
            seen: set[int] = set()
            for tk in topics:
                for cid in self.topic_collections[tk]:
                    if cid not in seen:
                        seen.add(cid)
                        coll_rows.append(
                            COLLECTION_AGENT.row(created_at=timestamp(times[0]), collection=cid, agent=aid)
                        )
        self.counts['agents'] += self.bulk.insert(AGENT, agent_rows)
        self.counts['agent_versions'] += self.bulk.insert(AGENT_VERSION, version_rows)
        self.counts['agent_tags'] += self.bulk.insert(AGENT_TAG, tag_rows)
        self.counts['collection_agents'] += self.bulk.insert(COLLECTION_AGENT, coll_rows)
        for versions in self.agent_versions.values():
            versions.sort()

    @staticmethod
    def _version_at(versions: list[tuple], when: int, rng: random.Random) -> tuple | None:
        """The version that was current at ``when`` (sometimes an older one, as people rerun old versions)."""
        if not versions:
            return None
        i = bisect.bisect_right([v[0] for v in versions], when)
        if i == 0:
            return None
        if i > 1 and rng.random() < 0.15:
            return versions[rng.randrange(i - 1)]
        return versions[i - 1]

    # ------------------------------------------------------------------ content (the hot path)

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
                id=oid,
                created_at=timestamp(when),
                updated_at=timestamp(updated),
                favourite=flags['favourite'],
                rating=flags['rating'],
                notes=notes,
                category=flags['category'],
                sensitivity=flags['sensitivity'],
                retention=flags['retention'],
                keep=flags['keep'],
                source=source,
                external_id=None,
                last_viewed_at=flags['last_viewed_at'],
                deleted_at=None,
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
                id=cid,
                created_at=timestamp(start),
                updated_at=last_stamp,
                favourite=flags['favourite'],
                rating=flags['rating'],
                notes=notes,
                category=flags['category'],
                sensitivity=flags['sensitivity'],
                retention=flags['retention'],
                keep=flags['keep'],
                source=self.sources[source_name.lower()],
                external_id=ext,
                last_viewed_at=flags['last_viewed_at'],
                deleted_at=None,
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

    def finish(self) -> None:
        """Prompt usage counts follow from what was written (outputs and chat messages per version)."""
        if not self.demo_prompt_ids:
            return
        marks = ', '.join('?' * len(self.demo_prompt_ids))
        with self.db.atomic():
            self.db.execute_sql(
                f"""
                UPDATE prompt SET
                  use_count = (SELECT count(*) FROM output o JOIN prompt_version v ON v.id = o.prompt_version_id
                               WHERE v.prompt_id = prompt.id)
                            + (SELECT count(*) FROM message m JOIN prompt_version v ON v.id = m.prompt_version_id
                               WHERE v.prompt_id = prompt.id),
                  last_used_at = (SELECT max(o.created_at) FROM output o JOIN prompt_version v ON v.id = o.prompt_version_id
                                  WHERE v.prompt_id = prompt.id)
                WHERE id IN ({marks})
                """,
                self.demo_prompt_ids,
            )
