"""The README documents every environment variable the code reads and every CLI subcommand (after
datasette's tests/test_docs.py): a knob or a command nobody can find does not exist for its users."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from app.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / 'README.md').read_text(encoding='utf-8')
# A variable is read where its name is a string literal: os.environ.get('OUTPUTHUB_X'), env_flag('…'),
# ENV_SWITCH = '…'. (A Python name such as importers.llm.OUTPUTHUB_TABLES is not a variable.)
VARIABLE = re.compile(r"""['"](OUTPUTHUB_[A-Z0-9_]+)['"]""")


def _variables() -> list[str]:
    found = set()
    for path in (ROOT / 'app').rglob('*.py'):
        found.update(VARIABLE.findall(path.read_text(encoding='utf-8')))
    return sorted(found)


def _subcommands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((*prefix, name))
                found += _subcommands(sub, (*prefix, name))
    return found


VARIABLES = _variables()
SUBCOMMANDS = _subcommands(build_parser())


def test_the_lists_are_not_empty() -> None:
    assert len(VARIABLES) >= 10 and 'OUTPUTHUB_ALLOWED_HOSTS' in VARIABLES
    assert ('token', 'create') in SUBCOMMANDS and ('device', 'admin') in SUBCOMMANDS


@pytest.mark.parametrize('name', VARIABLES)
def test_every_environment_variable_is_documented(name: str) -> None:
    assert re.search(rf'`{name}[`=]', README), f'README.md does not document {name}'


@pytest.mark.parametrize('command', SUBCOMMANDS, ids=' '.join)
def test_every_cli_subcommand_is_documented(command: tuple[str, ...]) -> None:
    *parents, name = command
    if not parents:
        assert f'`outputhub {name}' in README, f'README.md does not document `outputhub {name}`'
        return
    # nested: on a line about the parent command (`outputhub keys [list|set|…]`, `token list`, …)
    parent = ' '.join(parents)
    lines = [line for line in README.splitlines() if f'outputhub {parent}' in line]
    assert any(
        re.search(rf'\b{re.escape(name)}\b', line.split(f'outputhub {parent}', 1)[1]) for line in lines
    ), f'README.md does not document `outputhub {parent} {name}`'
