"""``outputhub ask``: prompt a model from the terminal; the answer streams out and the exchange is stored."""

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
