"""Prompting models from the terminal: ``outputhub ask`` (streams and stores the exchange) and
``outputhub keys`` (provider keys, endpoints and monthly caps, without the settings page)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from .common import open_db


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        'ask',
        parents=[common],
        help='ask a model; the answer streams here and is stored as a conversation',
        description='Ask a model (OpenAI, Anthropic or any OpenAI-compatible server such as Ollama). '
        'The answer streams to the terminal and the exchange is stored like an in-app chat. '
        'Use "-" as PROMPT to read it from stdin. Keys come from Settings → Providers or '
        'OPENAI_API_KEY / ANTHROPIC_API_KEY.',
    )
    p.add_argument('prompt', metavar='PROMPT', help='what to ask ("-" reads stdin)')
    p.add_argument(
        '--provider',
        default=None,
        help="openai, anthropic, local, or any provider name (default: the model's provider)",
    )
    p.add_argument('--model', default=None, metavar='M', help='model id, e.g. gpt-4o-mini or llama3.1:8b')
    p.add_argument(
        '--base-url',
        default=None,
        metavar='URL',
        help='an OpenAI-compatible endpoint for this call, e.g. http://localhost:11434/v1 (Ollama)',
    )
    p.add_argument('--agent', type=int, default=None, metavar='ID', help="use an agent's current version")
    p.add_argument(
        '--continue',
        dest='continue_id',
        type=int,
        default=None,
        metavar='CONVERSATION_ID',
        help='continue this conversation (any, imported ones too) instead of starting a new one',
    )
    p.add_argument('--system', default=None, metavar='TEXT', help="system prompt (overrides the agent's)")
    p.add_argument('--temperature', type=float, default=None)
    p.add_argument('--max-tokens', type=int, default=None, metavar='N')
    p.set_defaults(func=cmd_ask)

    keys_parser = sub.add_parser(
        'keys',
        parents=[common],
        help='provider API keys, base URLs and monthly spending caps',
        description="List providers with their (masked) keys, this month's spend and caps; store or forget a "
        'key (kept in the OS keyring or a private key file, never in the database); set a base URL or a cap.',
    )
    keys_parser.set_defaults(func=cmd_keys_list)
    actions = keys_parser.add_subparsers(dest='keys_action', metavar='ACTION')
    k = actions.add_parser('list', parents=[common], help='providers, masked keys, spend and caps')
    k.set_defaults(func=cmd_keys_list)
    k = actions.add_parser(
        'set', parents=[common], help='store a key (asked for, or read from stdin; never an argument)'
    )
    k.add_argument('provider', help='openai, anthropic, local or a provider name')
    k.set_defaults(func=cmd_keys_set)
    k = actions.add_parser('clear', parents=[common], help="forget a provider's stored key")
    k.add_argument('provider')
    k.set_defaults(func=cmd_keys_clear)
    k = actions.add_parser('endpoint', parents=[common], help="set a provider's base URL and default model")
    k.add_argument('provider')
    k.add_argument(
        '--base-url', default=None, metavar='URL', help='e.g. http://localhost:1234/v1 ("" resets)'
    )
    k.add_argument('--default-model', default=None, metavar='M')
    k.set_defaults(func=cmd_keys_endpoint)
    k = actions.add_parser(
        'cap', parents=[common], help='set a monthly spending cap in USD ("none" removes it)'
    )
    k.add_argument('provider')
    k.add_argument('usd', metavar='USD|none')
    k.set_defaults(func=cmd_keys_cap)


def cmd_ask(args: argparse.Namespace) -> int:
    from ..errors import UserError

    prompt = sys.stdin.read() if args.prompt == '-' else args.prompt
    open_db(args)
    result = asyncio.run(_ask(args, prompt))
    if args.json:
        data: dict[str, Any] = result.as_json()
        if result.error is not None:
            data['error'] = result.error_message
        print(json.dumps(data, ensure_ascii=False))
    if result.error is not None:
        raise result.error if isinstance(result.error, UserError) else UserError(str(result.error))
    if result.status != 'complete':
        raise UserError('The answer stopped before it was finished; the partial answer was kept.')
    return 0


async def _ask(args: argparse.Namespace, prompt: str):
    from ..llm.providers import GenerationParams
    from ..services import chat

    params = GenerationParams(system=args.system, temperature=args.temperature, max_tokens=args.max_tokens)
    reply = await chat.send_message(
        prompt,
        conversation_id=args.continue_id,
        model=args.model,
        provider=args.provider,
        base_url=args.base_url,
        agent=args.agent,
        params=params,
    )
    stream = not args.json
    wrote = ''
    try:
        async for piece in reply.deltas():
            if stream:
                sys.stdout.write(piece)
                sys.stdout.flush()
                wrote = piece
    except asyncio.CancelledError:  # Ctrl+C: keep what arrived (stored as incomplete), then stop
        reply.cancel()
        await reply.wait()
        if stream and wrote and not wrote.endswith('\n'):
            sys.stdout.write('\n')
            sys.stdout.flush()
        raise
    result = await reply.wait()
    if stream:
        if wrote and not wrote.endswith('\n'):
            sys.stdout.write('\n')
        sys.stdout.flush()
        if sys.stderr.isatty():
            sys.stderr.write(_footer(result, reply.model_label) + '\n')
    return result


def _footer(result, model_label: str) -> str:
    parts = [f'conversation {result.conversation_id}', model_label]
    if result.input_tokens is not None or result.output_tokens is not None:
        parts.append(f'{result.input_tokens or 0} in / {result.output_tokens or 0} out')
    if result.cost is not None:
        parts.append(f'${result.cost:.4f}')
    return '[' + ' · '.join(parts) + ']'


# --------------------------------------------------------------------------- keys


def _provider(name: str):
    """The provider a command names; its settings are written by services/provider_settings only."""
    from ..services.chat import find_provider

    return find_provider(name)


def _setting_of(prov):
    from ..data.models import ProviderSetting

    return ProviderSetting.get_or_none(ProviderSetting.provider == prov.id)


def cmd_keys_list(args: argparse.Namespace) -> int:
    from ..data.models import Provider, ProviderSetting
    from ..llm import keys, pricing

    open_db(args)
    spend = pricing.spend_by_provider()
    rows = []
    for prov in Provider.select().order_by(Provider.id):
        setting = ProviderSetting.get_or_none(ProviderSetting.provider == prov.id)
        key, source = keys.resolve_key(prov.kind, setting.key_ref if setting else None)
        rows.append(
            {
                'provider': prov.name,
                'kind': prov.kind,
                'base_url': (setting.base_url if setting else None) or prov.base_url,
                'default_model': setting.default_model if setting else None,
                'key': keys.mask(key) if key else None,
                'key_source': source or None,
                'spend_this_month': round(spend.get(prov.id, 0.0), 6),
                'monthly_cap': setting.monthly_cap if setting else None,
            }
        )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    for r in rows:
        if r['key']:
            key = f'{r["key"]} ({r["key_source"]})'
        else:
            key = 'no key' if r['kind'] in keys.ENV_KEYS else 'no key (a local server needs none)'
        cap = f' of ${r["monthly_cap"]:.2f} cap' if r['monthly_cap'] is not None else ''
        print(
            f'{r["provider"]:<12} {key:<34} ${r["spend_this_month"]:.2f} this month{cap}  {r["base_url"] or ""}'
        )
    print(f'Keys are kept in the {keys.backend_name()}.')
    return 0


def cmd_keys_set(args: argparse.Namespace) -> int:
    import getpass

    from ..auth import LOCAL
    from ..llm import keys
    from ..services import provider_settings

    open_db(args)
    prov = _provider(args.provider)
    if sys.stdin.isatty():
        secret = getpass.getpass(f'API key for {prov.name} (not shown): ')
    else:
        secret = sys.stdin.readline()
    where = provider_settings.save_key(LOCAL, prov.id, secret.strip())
    shown = keys.provider_key_display(prov)
    place = 'the OS keyring' if where == 'keyring' else str(keys.key_file_path())
    print(f'Stored the key for {prov.name} ({shown.split(" ")[0]}) in {place}.')
    return 0


def cmd_keys_clear(args: argparse.Namespace) -> int:
    from ..auth import LOCAL
    from ..services import provider_settings

    open_db(args)
    prov = _provider(args.provider)
    provider_settings.clear_key(LOCAL, prov.id)
    print(f'Forgot the stored key for {prov.name}.')
    return 0


def cmd_keys_endpoint(args: argparse.Namespace) -> int:
    from ..auth import LOCAL
    from ..services import provider_settings

    open_db(args)
    prov = _provider(args.provider)
    changes: dict[str, Any] = {}
    if args.base_url is not None:
        changes['base_url'] = args.base_url
    if args.default_model is not None:
        changes['default_model'] = args.default_model
    # The same checks as the settings page (an http(s) address; a key is not sent to a new host).
    notice = provider_settings.update_provider(LOCAL, prov.id, **changes)
    setting = _setting_of(prov)
    base_url = (setting.base_url if setting else None) or prov.base_url or '(default)'
    model = (setting.default_model if setting else None) or '(none)'
    print(f'{prov.name}: base URL {base_url}, default model {model}.')
    if notice:
        print(notice)
    return 0


def cmd_keys_cap(args: argparse.Namespace) -> int:
    from ..auth import LOCAL
    from ..services import provider_settings

    open_db(args)
    prov = _provider(args.provider)
    provider_settings.update_provider(LOCAL, prov.id, monthly_cap=args.usd)  # the settings page's checks
    setting = _setting_of(prov)
    cap = setting.monthly_cap if setting else None
    print(f'{prov.name}: ' + (f'monthly cap ${cap:.2f}.' if cap is not None else 'no monthly cap.'))
    return 0
