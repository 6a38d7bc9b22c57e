"""The prompt library holds the prompts the person saved; captured prompt texts and chat questions are
kept for provenance under "From captures and chats" until someone saves them."""

from __future__ import annotations

from app.data import db as dbmod
from app.data import entities, migrations, outputs, prompts
from app.data.listing import ListParams
from app.data.models import Output, Prompt


def _titles(params: ListParams) -> list[str]:
    return [p.title for p in entities.list_items('prompt', params).items]


def test_captured_prompt_texts_stay_out_of_the_library_until_saved(db) -> None:
    mine = prompts.create_prompt('Email writer', 'Write an email to {{name}}.')
    out = outputs.capture_output(outputs.CaptureData(body='Dear Sam', prompt='Summarise this memo please'))
    captured = Prompt.get(Prompt.title == 'Summarise this memo please')
    assert mine.saved and not captured.saved
    assert _titles(ListParams()) == ['Email writer']
    assert _titles(ListParams(unsaved=True)) == ['Summarise this memo please']
    assert [p.title for p in prompts.saved_prompts()] == ['Email writer']
    assert prompts.saved_prompts()[0].current.body == 'Write an email to {{name}}.'
    assert prompts.unsaved_count() == 1

    prompts.save_to_library(captured.id)
    assert sorted(_titles(ListParams())) == ['Email writer', 'Summarise this memo please']
    assert _titles(ListParams(unsaved=True)) == []
    # the link to the output it produced is kept
    assert Output.get_by_id(out.id).prompt_version_id == captured.current_version_id
    # the same text captured again reuses it (now a library prompt), no new unsaved copy
    outputs.capture_output(outputs.CaptureData(body='Dear Ann', prompt='Summarise this memo please'))
    assert Prompt.select().count() == 2 and prompts.unsaved_count() == 0


def test_editing_a_captured_prompt_saves_it(db) -> None:
    outputs.capture_output(outputs.CaptureData(body='An answer', prompt='Explain monads'))
    captured = Prompt.get(Prompt.title == 'Explain monads')
    prompts.new_version(captured.id, 'Explain monads to a child')
    assert Prompt.get_by_id(captured.id).saved


def test_the_migration_decides_which_existing_prompts_were_saved(db_path) -> None:
    raw = dbmod.open_database(db_path)
    migrations.upgrade(raw, target='0008_device_admin')
    t = "'2024-01-01 00:00:00'"

    def prompt(pid: int, title: str, bodies: list[str], notes: str | None = None) -> None:
        raw.execute_sql(
            'INSERT INTO prompt (id, created_at, updated_at, favourite, keep, title, use_count, notes) '
            f'VALUES (?, {t}, {t}, 0, 0, ?, 3, ?)',
            (pid, title, notes),
        )
        for n, body in enumerate(bodies, 1):
            raw.execute_sql(
                f'INSERT INTO prompt_version (id, prompt_id, number, body, created_at) VALUES (?, ?, ?, ?, {t})',
                (pid * 10 + n, pid, n, body),
            )

    def output_of(version_id: int) -> None:
        raw.execute_sql(
            'INSERT INTO output (created_at, updated_at, favourite, keep, title, body, body_hash, '
            f"prompt_version_id) VALUES ({t}, {t}, 0, 0, 'o', 'b', 'h', ?)",
            (version_id,),
        )

    prompt(1, 'Summarise this memo', ['Summarise this memo\nin three lines'])  # from a capture
    output_of(11)
    prompt(2, 'Memo summariser', ['Summarise this memo'])  # a typed name
    output_of(21)
    prompt(3, 'Fix the bug', ['Fix the bug', 'Fix the bug, add a test'])  # two versions
    output_of(31)
    prompt(4, 'Translate', ['Translate'], notes='for the French team')  # notes
    output_of(41)
    prompt(5, 'Plan a trip', ['Plan a trip'])  # made on the prompts page, never used
    raw.close()

    dbmod.connect(db_path)
    saved = {p.id: p.saved for p in Prompt.select()}
    assert saved == {1: False, 2: True, 3: True, 4: True, 5: True}
