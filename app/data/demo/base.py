"""What every part of the demo generator shares: the random stream, the fake names, text helpers and the
flags a user would set on an item."""

from __future__ import annotations

import bisect
import random
import re
import uuid
from collections import Counter
from typing import Any

import peewee

from ..demo_content import Topic
from ..models import ApiToken, Conversation, Device, Output
from .profile import (
    FOLLOWUP_OPENERS,
    ITEM_PLANS,
    RATINGS,
    SECTION_TITLES,
    VAR_FILL,
    VAR_RE,
    WEEKDAYS,
    Rng,
    Weighted,
    day_month,
    timestamp,
)
from .writer import BulkWriter


class GeneratorBase:
    """One seeding run's state. Every random choice comes from ``self.rng`` in a fixed order; the lookup
    ids (``sources``, ``tags``, ``models``, …) are set by ``SmallTables._lookups``, first."""

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

    @staticmethod
    def _item_columns(
        item_id: int,
        created_at: str,
        updated_at: str,
        flags: dict[str, Any],
        source: int,
        external_id: str | None,
        *,
        notes: str | None,
        **values: Any,
    ) -> dict[str, Any]:
        """The columns every main item has (outputs, conversations, prompts, agents), from the flags a user
        would set (``_content_flags``); ``values`` for those a kind sets its own way (sensitivity,
        retention, keep)."""
        return {
            'id': item_id,
            'created_at': created_at,
            'updated_at': updated_at,
            'favourite': flags['favourite'],
            'rating': flags['rating'],
            'notes': notes,
            'category': flags['category'],
            'sensitivity': flags['sensitivity'],
            'retention': flags['retention'],
            'keep': flags['keep'],
            'source': source,
            'external_id': external_id,
            'last_viewed_at': flags['last_viewed_at'],
            'deleted_at': None,
            **values,
        }

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
