"""Generate a realistic ChatGPT ``conversations.json`` of any size (branches included) for benchmarks."""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

WORDS = [
    'model',
    'prompt',
    'answer',
    'system',
    'latency',
    'token',
    'context',
    'window',
    'retrieval',
    'vector',
    'index',
    'query',
    'cache',
    'python',
    'sqlite',
    'export',
    'import',
    'branch',
    'summary',
    'budget',
    'memory',
    'stream',
    'parser',
    'schema',
    'migration',
    'test',
    'user',
    'assistant',
    'message',
    'review',
    'draft',
    'outline',
    'plan',
    'estimate',
    'risk',
    'metric',
    'report',
    'chart',
    'table',
]


def _text(rng: random.Random, size: int) -> str:
    out: list[str] = []
    length = 0
    while length < size:
        sentence = ' '.join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))).capitalize() + '.'
        out.append(sentence)
        length += len(sentence) + 1
    return ' '.join(out)


def _node(rng, node_id, parent, role, text, t, model):
    msg = {
        'id': node_id,
        'author': {'role': role, 'name': None, 'metadata': {}},
        'create_time': t,
        'update_time': None,
        'content': {'content_type': 'text', 'parts': [text]},
        'status': 'finished_successfully',
        'end_turn': role == 'assistant' or None,
        'weight': 1.0,
        'metadata': {
            'citations': [],
            'content_references': [],
            'request_id': uuid.UUID(int=rng.getrandbits(128)).hex[:16],
            'timestamp_': 'absolute',
            **({'model_slug': model, 'finish_details': {'type': 'stop'}} if role == 'assistant' else {}),
        },
        'recipient': 'all',
        'channel': None,
    }
    return {'id': node_id, 'message': msg, 'parent': parent, 'children': []}


def make_conversation(rng: random.Random, index: int, messages: int, text_size: int, branch: bool) -> dict:
    """One conversation: a hidden system node, then user/assistant turns; ``branch`` adds a regeneration."""
    conv_id = str(uuid.UUID(int=rng.getrandbits(128)))
    t0 = 1_600_000_000 + index * 3600 + rng.random()
    model = rng.choice(['gpt-4o', 'gpt-4', 'o3', 'gpt-4o-mini'])
    mapping: dict[str, dict] = {}
    root = 'client-created-root'
    mapping[root] = {'id': root, 'message': None, 'parent': None, 'children': []}
    sys_id = str(uuid.UUID(int=rng.getrandbits(128)))
    mapping[sys_id] = _node(rng, sys_id, root, 'system', '', None, model)
    mapping[sys_id]['message']['weight'] = 0.0
    mapping[sys_id]['message']['metadata']['is_visually_hidden_from_conversation'] = True
    mapping[root]['children'].append(sys_id)
    parent = sys_id
    t = t0
    for i in range(messages):
        role = 'user' if i % 2 == 0 else 'assistant'
        node_id = str(uuid.UUID(int=rng.getrandbits(128)))
        t += rng.uniform(5, 60)
        size = text_size // 4 if role == 'user' else text_size
        mapping[node_id] = _node(rng, node_id, parent, role, _text(rng, size), t, model)
        mapping[parent]['children'].append(node_id)
        parent = node_id
    leaf = parent
    if branch and messages >= 4:
        # a regenerated answer: a sibling of the second assistant message, older than the kept path
        first_user = mapping[mapping[root]['children'][0]]['children'][0]
        second = mapping[first_user]['children'][0]
        alt = str(uuid.UUID(int=rng.getrandbits(128)))
        mapping[alt] = _node(rng, alt, first_user, 'assistant', _text(rng, text_size), t0 + 1, model)
        mapping[first_user]['children'].append(alt)
        del second
    # mapping order is not topological in real exports
    items = list(mapping.items())
    rng.shuffle(items)
    return {
        'title': f'Benchmark conversation {index}',
        'create_time': t0,
        'update_time': t,
        'mapping': dict(items),
        'moderation_results': [],
        'current_node': leaf,
        'plugin_ids': None,
        'conversation_id': conv_id,
        'conversation_template_id': None,
        'gizmo_id': None,
        'is_archived': False,
        'safe_urls': [],
        'default_model_slug': model,
        'id': conv_id,
    }


def write_export(
    path: Path,
    conversations: int = 2000,
    messages: int = 20,
    text_size: int = 600,
    branch_every: int = 10,
    seed: int = 7,
) -> dict[str, int]:
    """Write the export as a JSON array, one conversation at a time (bounded memory). Returns counts."""
    rng = random.Random(seed)
    total_messages = 0
    with open(path, 'w', encoding='utf-8') as fh:
        fh.write('[')
        for i in range(conversations):
            branch = branch_every > 0 and i % branch_every == 0
            conv = make_conversation(rng, i, messages, text_size, branch)
            total_messages += sum(1 for n in conv['mapping'].values() if n['message'] is not None)
            if i:
                fh.write(',\n')
            json.dump(conv, fh, ensure_ascii=False)
        fh.write(']')
    return {'conversations': conversations, 'messages': total_messages, 'bytes': path.stat().st_size}
