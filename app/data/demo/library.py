"""The demo's prompts and agents, each with versions that grew over time, tags and collections."""

from __future__ import annotations

from ..demo_content import AGENTS, PROMPTS, TOPICS
from ..models import Agent, AgentVersion, Prompt, PromptVersion
from .base import GeneratorBase
from .profile import DEMO_SOURCE, SPAN, compact_json, relative_seconds, timestamp
from .writer import (
    AGENT,
    AGENT_TAG,
    AGENT_VERSION,
    COLLECTION_AGENT,
    COLLECTION_PROMPT,
    PROMPT,
    PROMPT_TAG,
    PROMPT_VERSION,
)


class Library(GeneratorBase):
    def _version_times(self, count: int) -> list[int]:
        r = self.rng
        times = [-SPAN - r.randint(0, 60) * 86400 + r.randint(0, SPAN // 4)]
        for _ in range(count - 1):
            remaining_days = -times[-1] // 86400
            times.append(
                times[-1] + r.randint(20, max(21, remaining_days // count)) * 86400 + r.randint(0, 86400)
            )
        return [min(t, -3600) for t in times]

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
                    **self._item_columns(
                        pid,
                        timestamp(times[0]),
                        timestamp(times[-1]),
                        flags,
                        source,
                        ext,
                        notes=notes,
                        retention=None,
                        keep=0,
                    ),
                    title=title,
                    description=desc,
                    current_version=None,  # set below, once the versions exist (the search trigger indexes its body)
                    use_count=0,
                    last_used_at=None,
                    saved=True,  # the demo's library prompts (captures in the demo name a version)
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
                    **self._item_columns(
                        aid,
                        timestamp(times[0]),
                        timestamp(times[-1]),
                        flags,
                        source,
                        ext,
                        notes=None,
                        sensitivity=None,
                        retention=None,
                        keep=0,
                    ),
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
