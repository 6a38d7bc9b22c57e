"""Split a conversation copied from the ChatGPT or Claude web apps into user/assistant turns (best effort;
the capture page shows the result for correction before anything is saved)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A line that is only a speaker marker ("You said:", "ChatGPT said:", "User:", "Claude", "Human:" ...).
_MARKER = re.compile(
    r'^\s*(?:#+\s*)?\**\s*(?P<who>you said|you|user|me|human|prompt|question|chatgpt said|chatgpt|assistant|claude|gpt-?[\w.]*'
    r'|gemini|copilot|answer|output|response|ai|bot|model)\s*\**\s*(?:said)?\s*[:：]?\s*\**\s*$',
    re.IGNORECASE,
)
# "User: hello" on one line.
_INLINE = re.compile(
    r'^\s*\**(?P<who>you|user|me|human|chatgpt|assistant|claude|gemini|ai)\**\s*[:：]\s*(?P<text>\S.*)$',
    re.IGNORECASE,
)

_USER = {'you said', 'you', 'user', 'me', 'human', 'prompt', 'question'}


@dataclass
class Turn:
    role: str  # user | assistant
    content: str


def _role(who: str) -> str:
    return 'user' if who.strip().lower() in _USER else 'assistant'


def split_conversation(text: str) -> list[Turn]:
    """Turns in order. Without any speaker markers, blocks separated by blank lines alternate user/assistant."""
    lines = (text or '').replace('\r\n', '\n').split('\n')
    turns: list[Turn] = []
    current: Turn | None = None
    buffer: list[str] = []
    found_marker = False
    in_code = False

    def flush() -> None:
        nonlocal buffer
        if current is not None:
            current.content = '\n'.join(buffer).strip('\n')
            if current.content.strip():
                turns.append(current)
        buffer = []

    for line in lines:
        if line.strip().startswith('```'):
            in_code = not in_code
        if not in_code:
            m = _MARKER.match(line)
            inline = None if m else _INLINE.match(line)
            if m or inline:
                found_marker = True
                flush()
                who = (m or inline).group('who')
                current = Turn(_role(who), '')
                buffer = [inline.group('text')] if inline else []
                continue
        if current is None:
            current = Turn('user', '')
        buffer.append(line)
    flush()
    if found_marker:
        return _merge_adjacent(turns)
    # No markers: paragraphs separated by two or more blank lines alternate, starting with the user.
    blocks = [
        b.strip('\n') for b in re.split(r'\n\s*\n\s*\n', (text or '').replace('\r\n', '\n')) if b.strip()
    ]
    if len(blocks) < 2:
        blocks = [
            b.strip('\n') for b in re.split(r'\n\s*\n', (text or '').replace('\r\n', '\n')) if b.strip()
        ]
        if len(blocks) > 2:
            blocks = [blocks[0], '\n\n'.join(blocks[1:])]
    return [Turn('user' if i % 2 == 0 else 'assistant', b) for i, b in enumerate(blocks)]


def _merge_adjacent(turns: list[Turn]) -> list[Turn]:
    merged: list[Turn] = []
    for turn in turns:
        if merged and merged[-1].role == turn.role:
            merged[-1].content += '\n\n' + turn.content
        else:
            merged.append(turn)
    return merged
