"""The demo's small tables: lookups, models and their prices, provider settings, example API tokens and
devices (unusable by design), import and purge runs."""

from __future__ import annotations

import hashlib
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
    PROVIDER_SETTINGS,
    PURGE_PLANS,
    TAG_COLOURS,
    TOPICS,
)
from ..models import (
    AccuracyLevel,
    ApiToken,
    Category,
    Collection,
    Device,
    ImportRun,
    LlmModel,
    Provider,
    ProviderSetting,
    PurgeRun,
    RetentionPlan,
    SensitivityLevel,
    Source,
    Tag,
)
from .base import GeneratorBase
from .profile import (
    FIXTURE_TIME,
    REFERENCE_DATE,
    SEEDED_TOKEN_MARK,
    SPAN,
    Weighted,
    relative_seconds,
    timestamp,
)
from .writer import count_key


class SmallTables(GeneratorBase):
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

    def _lookups(self) -> None:
        """Lookups (plans, levels, sources, providers, models, tags, categories, collections), added by name."""
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
