"""``outputhub purge`` (preview and purge, --json) and ``outputhub trash`` as a script sees them."""

from __future__ import annotations

import json
from datetime import timedelta

from app.cli import main
from app.data import db as dbmod
from app.data import outputs
from app.data.models import Output, PurgeRun, RetentionPlan, utcnow


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    dbmod.close()
    return code, out.out, out.err


def _library(path) -> tuple[int, int]:
    dbmod.connect(path)
    days30 = RetentionPlan.get(RetentionPlan.name == '30 days')
    expired = outputs.capture_output(outputs.CaptureData(body='old notes', title='Old notes')).id
    fresh = outputs.capture_output(outputs.CaptureData(body='new notes', title='New notes')).id
    Output.update(retention=days30.id).where(Output.id.in_([expired, fresh])).execute()
    Output.update(updated_at=utcnow() - timedelta(days=31)).where(Output.id == expired).execute()
    dbmod.close()
    return expired, fresh


def test_purge_dry_run_lists_then_purge_moves_and_logs(capsys, tmp_path) -> None:
    db = tmp_path / 'lib.db'
    expired, _ = _library(db)

    code, out, _ = run(capsys, 'purge', '--db', str(db), '--dry-run', '--json')
    assert code == 0
    preview = json.loads(out)
    assert preview['dry_run'] is True and preview['total'] == 1
    assert preview['items'][0]['title'] == 'Old notes' and preview['items'][0]['plan'] == '30 days'

    code, out, _ = run(capsys, 'purge', '--db', str(db), '--dry-run')
    assert code == 0 and 'Would move 1 expired items' in out and 'Old notes' in out

    code, out, _ = run(capsys, 'purge', '--db', str(db))
    assert code == 0 and out.startswith('Moved 1 expired items to the trash (1 outputs)')

    dbmod.connect(db)
    assert Output.get_by_id(expired).deleted_at is not None
    assert [(r.trigger, r.item_count) for r in PurgeRun.select()] == [('cli', 1)]
    dbmod.close()


def test_trash_lists_restores_and_empties(capsys, tmp_path) -> None:
    db = tmp_path / 'lib.db'
    expired, _ = _library(db)
    run(capsys, 'purge', '--db', str(db))

    code, out, _ = run(capsys, 'trash', '--db', str(db), '--json')
    data = json.loads(out)
    assert code == 0 and data['counts']['output'] == 1
    assert data['items'][0]['id'] == expired and data['items'][0]['deleted_for_good_at']

    code, out, _ = run(capsys, 'trash', '--db', str(db), '--restore', f'output:{expired}')
    assert code == 0 and 'Restored 1' in out

    code, _, err = run(capsys, 'trash', '--db', str(db), '--restore', 'output')
    assert code == 2 and 'KIND:ID' in err

    run(capsys, 'purge', '--db', str(db))
    code, out, _ = run(capsys, 'trash', '--db', str(db), '--empty')
    assert code == 0 and 'Deleted 1 item for good' in out
    code, out, _ = run(capsys, 'trash', '--db', str(db))
    assert out.startswith('0 items in the trash')
