"""Secret items stay out of exports even when a plain item points at them: a plain output made with a
Secret prompt and agent, saved from a Secret conversation, related to a Secret output and filed with it
must not carry any of their text into the JSON or Markdown export — unless Secret items are asked for."""

from __future__ import annotations

from pathlib import Path

from app.cli import main
from app.data import agents, conversations, entities, outputs, prompts, relations
from app.data import db as dbmod
from app.data.exporters import export_json, export_markdown
from app.data.models import SensitivityLevel

SECRETS = [
    'SECRET-PROMPT-BODY',
    'Secret prompt title',
    'SECRET-SYSTEM-PROMPT',
    'Secret agent name',
    'SECRET-CONVERSATION-TITLE',
    'SECRET-MESSAGE',
    'SECRET-OUTPUT-BODY',
    'SECRET-OUTPUT-TITLE',
]


def _library() -> None:
    secret = SensitivityLevel.get(SensitivityLevel.name == 'Secret').id
    prompt = prompts.create_prompt('Secret prompt title', 'SECRET-PROMPT-BODY: do the thing')
    agent = agents.create_agent('Secret agent name', 'SECRET-SYSTEM-PROMPT')
    conv = conversations.create_conversation('SECRET-CONVERSATION-TITLE')
    message = conversations.add_message(conv, 'assistant', 'SECRET-MESSAGE in a reply')
    for kind, item_id in (('prompt', prompt.id), ('agent', agent.id), ('conversation', conv.id)):
        entities.update_item(kind, item_id, sensitivity=secret)
    hidden = outputs.capture_output(
        outputs.CaptureData(
            body='SECRET-OUTPUT-BODY',
            title='SECRET-OUTPUT-TITLE',
            sensitivity_id=secret,
            collections=['Shared'],
        )
    )
    plain = outputs.capture_output(
        outputs.CaptureData(
            body='a plain output',
            title='Plain output',
            prompt_version_id=prompt.current_version_id,
            agent_id=agent.id,
            conversation_id=conv.id,
            message_id=message.id,
            collections=['Shared'],
        )
    )
    relations.link_outputs(plain.id, hidden.id)


def _texts(json_path: str, md_root: str) -> str:
    return Path(json_path).read_text(encoding='utf-8') + '\n'.join(
        p.read_text(encoding='utf-8') for p in Path(md_root).rglob('*.md')
    )


def test_nothing_of_a_secret_item_reaches_an_export_through_a_plain_one(db, tmp_path: Path) -> None:
    _library()
    plain = _texts(export_json(tmp_path / 'j').path, export_markdown(tmp_path / 'm').path)
    assert 'Plain output' in plain
    assert [s for s in SECRETS if s in plain] == []

    full = _texts(
        export_json(tmp_path / 'j2', include_secret=True).path,
        export_markdown(tmp_path / 'm2', include_secret=True).path,
    )
    assert [s for s in SECRETS if s not in full] == []


def test_the_export_command_leaves_secret_items_out_unless_asked(
    db, db_path: Path, tmp_path: Path, capsys
) -> None:
    _library()
    dbmod.close()
    assert main(['export', '--db', str(db_path), '--out', str(tmp_path / 'plain')]) == 0
    out = capsys.readouterr().out
    assert 'Secret items left out; add --include-secret to export them' in out
    dbmod.close()
    text = '\n'.join(p.read_text(encoding='utf-8') for p in (tmp_path / 'plain').rglob('*.json'))
    assert [s for s in SECRETS if s in text] == []
    assert main(['export', '--db', str(db_path), '--out', str(tmp_path / 'all'), '--include-secret']) == 0
    dbmod.close()
    text = '\n'.join(p.read_text(encoding='utf-8') for p in (tmp_path / 'all').rglob('*.json'))
    assert [s for s in SECRETS if s not in text] == []
