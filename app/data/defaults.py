"""Default lookup rows, created once on first open (a user may rename or delete them afterwards)."""

from __future__ import annotations

from .db import on_connect, write_tx
from .models import (
    AccuracyLevel,
    AppSetting,
    LlmModel,
    Provider,
    RetentionPlan,
    SensitivityLevel,
    Source,
)

DEFAULTS_KEY = 'defaults_version'
DEFAULTS_VERSION = 1

ACCURACY = [
    ('Verified', 3, 'positive', 'Checked against a trusted source.'),
    ('Mostly accurate', 2, 'info', 'Looks right; minor doubts.'),
    ('Unverified', 1, 'grey', 'Not checked yet.'),
    ('Wrong', 0, 'negative', 'Known to be incorrect.'),
]

SENSITIVITY = [
    ('Public', 0, False, 'green', 'Fine to share with anyone.'),
    ('Personal', 1, False, 'blue', 'About you; keep it to yourself.'),
    ('Confidential', 2, False, 'orange', 'Work or client material.'),
    ('Secret', 3, True, 'red', 'Hidden from other devices, API tokens and exports unless allowed.'),
]

RETENTION = [
    ('Keep forever', None, 0),
    ('1 year', 365, 1),
    ('90 days', 90, 2),
    ('30 days', 30, 3),
]

PROVIDERS = [
    ('OpenAI', 'openai', 'https://api.openai.com/v1', '#10a37f'),
    ('Anthropic', 'anthropic', 'https://api.anthropic.com', '#d97757'),
    ('Google', 'google', None, '#4285f4'),
    ('Local', 'openai_compatible', 'http://localhost:11434/v1', '#6b7280'),
]

# (provider, api id, display name, input $/Mtok, output $/Mtok, context window)
MODELS = [
    ('OpenAI', 'gpt-5', 'GPT-5', 1.25, 10.0, 400_000),
    ('OpenAI', 'gpt-5-mini', 'GPT-5 mini', 0.25, 2.0, 400_000),
    ('OpenAI', 'gpt-4.1', 'GPT-4.1', 2.0, 8.0, 1_047_576),
    ('OpenAI', 'gpt-4.1-mini', 'GPT-4.1 mini', 0.4, 1.6, 1_047_576),
    ('OpenAI', 'gpt-4o', 'GPT-4o', 2.5, 10.0, 128_000),
    ('OpenAI', 'gpt-4o-mini', 'GPT-4o mini', 0.15, 0.6, 128_000),
    ('OpenAI', 'o3', 'o3', 2.0, 8.0, 200_000),
    ('OpenAI', 'o4-mini', 'o4-mini', 1.1, 4.4, 200_000),
    ('Anthropic', 'claude-opus-4-1', 'Claude Opus 4.1', 15.0, 75.0, 200_000),
    ('Anthropic', 'claude-sonnet-4-5', 'Claude Sonnet 4.5', 3.0, 15.0, 200_000),
    ('Anthropic', 'claude-haiku-4-5', 'Claude Haiku 4.5', 1.0, 5.0, 200_000),
    ('Anthropic', 'claude-3-5-sonnet-latest', 'Claude 3.5 Sonnet', 3.0, 15.0, 200_000),
    ('Google', 'gemini-2.5-pro', 'Gemini 2.5 Pro', 1.25, 10.0, 1_048_576),
    ('Google', 'gemini-2.5-flash', 'Gemini 2.5 Flash', 0.3, 2.5, 1_048_576),
    ('Local', 'llama3.1:8b', 'Llama 3.1 8B (local)', 0.0, 0.0, 128_000),
]

SOURCES = [
    ('Manual capture', 'manual'),
    ('ChatGPT export', 'chatgpt'),
    ('Claude export', 'claude'),
    ('llm CLI', 'llm'),
    ('In-app chat', 'chat'),
    ('REST API', 'api'),
    ('Demo data', 'demo'),
]


@on_connect
def ensure_defaults() -> None:
    """Insert the default rows once per database; later opens cost one cheap query."""
    if AppSetting.select().where(AppSetting.key == DEFAULTS_KEY).exists():
        return
    with write_tx():
        for name, rank, color, desc in ACCURACY:
            AccuracyLevel.get_or_create(
                name=name, defaults={'rank': rank, 'color': color, 'description': desc}
            )
        for name, rank, restricted, color, desc in SENSITIVITY:
            SensitivityLevel.get_or_create(
                name=name,
                defaults={'rank': rank, 'restricted': restricted, 'color': color, 'description': desc},
            )
        for name, days, order in RETENTION:
            RetentionPlan.get_or_create(name=name, defaults={'days': days, 'sort_order': order})
        providers = {}
        for name, kind, url, color in PROVIDERS:
            providers[name], _ = Provider.get_or_create(
                name=name, defaults={'kind': kind, 'base_url': url, 'color': color}
            )
        for prov, api_id, label, pin, pout, ctx in MODELS:
            LlmModel.get_or_create(
                provider=providers[prov],
                name=api_id,
                defaults={
                    'display_name': label,
                    'input_price': pin,
                    'output_price': pout,
                    'context_window': ctx,
                },
            )
        for name, kind in SOURCES:
            Source.get_or_create(name=name, defaults={'kind': kind})
        AppSetting.insert(key=DEFAULTS_KEY, value=DEFAULTS_VERSION).on_conflict_replace().execute()
